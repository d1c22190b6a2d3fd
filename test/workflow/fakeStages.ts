/**
 * In-memory stand-ins for the stage activities, for tests about
 * orchestration only: batching, deduplication, failure and on-call retry,
 * pause, continue-as-new. Everything the workflow decides is real; the
 * "archive" is a map of source versions the test moves forward, and faults
 * are injected on purpose (a failing image test, a flaky registry).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities, ResolveInput } from '../../activities/types';
import { ErrorType } from '../../activities/types';
import { advisoryKey } from '../../domain/advisory/record';
import { compareVersions } from '../../domain/debian/version';
import { canonicalJson, sha256Digest } from '../../domain/digest';
import { type ImageRef, workflowIdFor } from '../../domain/image';
import type { Architecture } from '../../domain/platform';

export class FakeUpstream {
  /** Source package -> version the "archive" offers now. */
  versions: Record<string, string> = { openssl: '3.0.15-1~deb12u1', glibc: '2.36-9+deb12u9', zlib: '1:1.2.13.dfsg-1' };
  failTests = false;
  /** Image names whose image tests fail (as `failTests`, for one image). */
  readonly failTestsFor = new Set<string>();
  /** Image name -> a gate its builds wait on (see `holdBuilds`). */
  private readonly buildGates = new Map<string, Promise<void>>();
  /** JSON size of every signImage input, in order. */
  readonly signInputBytes: number[] = [];
  /** Makes the rollback target fail verification (as an unsigned digest would). */
  refuseRollback = false;
  /** Transient publish failures to inject before the publish succeeds. */
  publishFailures = 0;
  dependents: Record<string, string[]> = {};
  /** Delivers a cascade's notify (the production activity signals-with-start through a client). */
  notify: (input: { image: ImageRef; baseDigest: string; replyTo: string }) => Promise<void> = async () => undefined;
  /** What resolveLock answers as the architectures to build (absent: one amd64 image, as before architectures). */
  architectures: Architecture[] | undefined;
  /** Each stage call, with the workflow id of its image (image AND variant: `base:runtime` and `base:dev` apart). */
  readonly calls: { activity: string; workflowId: string }[] = [];
  /** Each build: its architecture, the task queue it ran on, and the digest it returned; each test, scan and sign's digest. */
  readonly builds: { architecture: string; taskQueue: string; digest: string }[] = [];
  readonly stageDigests: { activity: string; digest: string }[] = [];

  /** Calls of `activity`, for one workflow's image when given. */
  count(activity: string, image?: ImageRef): number {
    const workflowId = image && workflowIdFor(image);
    return this.calls.filter((c) => c.activity === activity && (!workflowId || c.workflowId === workflowId)).length;
  }

  /** Holds every build of `name` until the returned function is called. */
  holdBuilds(name: string): () => void {
    let release = () => undefined as void;
    this.buildGates.set(name, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.buildGates.delete(name);
      release();
    };
  }

  activities(): Activities {
    const record = (activity: string, image: ImageRef) => this.calls.push({ activity, workflowId: workflowIdFor(image) });
    return {
      resolveLock: async (input: ResolveInput) => {
        record('resolveLock', input.image);
        const lockDigest = sha256Digest(canonicalJson(this.versions));
        const sourceVersions = Object.fromEntries(input.sources.filter((s) => this.versions[s]).map((s) => [s, this.versions[s] as string]));
        return { lockDigest, changes: [], unavailable: [], sourceVersions, packageCount: Object.keys(this.versions).length, ...(this.architectures ? { architectures: this.architectures } : {}) };
      },
      buildImage: async (input) => {
        record('buildImage', input.image);
        const gate = this.buildGates.get(input.image.name);
        if (gate) await heartbeatUntil(gate);
        const arch = input.architecture ? `:${input.architecture}` : '';
        const digest = sha256Digest(`${input.image.name}:${input.lockDigest}:${input.baseDigest ?? ''}${arch}`);
        this.builds.push({ architecture: input.architecture ?? 'amd64', taskQueue: Context.current().info.taskQueue, digest });
        return { digest, lockDigest: input.lockDigest, repository: `tempered/${input.image.name}`, size: 1, compressedSize: 1, packageCount: 3 };
      },
      assembleIndex: async (input) => {
        record('assembleIndex', input.image);
        return { digest: sha256Digest(canonicalJson(input.platforms)), size: 1 };
      },
      testImage: async (input) => {
        record('testImage', input.image);
        this.stageDigests.push({ activity: 'testImage', digest: input.digest });
        if (this.failTests || this.failTestsFor.has(input.image.name)) throw ApplicationFailure.nonRetryable('1 of 7 image tests failed: processes run as uid 65532', ErrorType.imageTestFailed);
        return { reportDigest: sha256Digest('report'), passed: 7, failed: 0, failures: [] };
      },
      scanImage: async (input) => {
        record('scanImage', input.image);
        this.stageDigests.push({ activity: 'scanImage', digest: input.digest });
        const verdicts = input.advisories.map((a) => {
          const installed = this.versions[a.source];
          return {
            key: advisoryKey(a),
            present: installed !== undefined,
            fixed: installed !== undefined && a.fixedVersion !== null && compareVersions(installed, a.fixedVersion) >= 0,
            ...(installed ? { installedSourceVersion: installed } : {}),
          };
        });
        return { sbomDigest: sha256Digest('sbom'), packageCount: 3, verdicts };
      },
      signImage: async (input) => {
        record('signImage', input.image);
        this.stageDigests.push({ activity: 'signImage', digest: input.digest });
        this.signInputBytes.push(Buffer.byteLength(JSON.stringify(input)));
        return { signature: 'created', attestations: [] };
      },
      publishImage: async (input) => {
        record('publishImage', input.image);
        this.stageDigests.push({ activity: 'publishImage', digest: input.digest });
        if (this.publishFailures > 0) {
          this.publishFailures--;
          throw new Error('registry unreachable (connection refused)');
        }
        return { reference: `127.0.0.1:5000/tempered/${input.image.name}:bookworm`, tag: 'bookworm', moved: true };
      },
      listDependents: async (input) => this.dependents[input.image.name] ?? [],
      verifyBase: async (input) => ({ digest: input.baseDigest, builder: 'test' }),
      verifyPublished: async (input) => {
        record('verifyPublished', input.image);
        if (this.refuseRollback) throw ApplicationFailure.nonRetryable(`${input.digest} failed verification: no signature`, ErrorType.rollbackRefused);
        return { digest: input.digest, builder: 'test' };
      },
      notifyImage: async (input) => this.notify(input),
    };
  }
}

/** Waits for `gate`, heartbeating like a real build so the activity does not time out while held. */
async function heartbeatUntil(gate: Promise<void>): Promise<void> {
  let open = false;
  void gate.then(() => (open = true));
  while (!open) {
    Context.current().heartbeat('held by the test');
    await new Promise((r) => setTimeout(r, 500));
  }
}
