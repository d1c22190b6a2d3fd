/**
 * What every fault scenario needs: workers as OS processes on their own task
 * queues (so scenarios sharing one dev server never take each other's tasks),
 * the fault-injection hold (workers/faults.ts) to stop a cycle at a chosen
 * activity, the history read back per activity type, and the one check that
 * matters after any fault: exactly one digest published, with exactly one
 * signature set, and it verifies.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { RegistryClient } from '../../activities/oci/registry';
import { BUNDLE_PREDICATE_TYPE_ANNOTATION, readReferrers } from '../../activities/sign/bundles';
import { PREDICATE_TYPE_ANNOTATION, readLegacyImage } from '../../activities/sign/cosignLegacy';
import { attestationTag, signatureTag } from '../../activities/sign/ociArtifacts';
import { verifyImage } from '../../activities/sign/verify';
import { IMAGE_ATTESTATION_TYPES, PredicateType } from '../../domain/attest/predicateTypes';
import { type Config, statePaths } from '../../domain/config';
import { hexOf, sha256Digest } from '../../domain/digest';
import { lockDigest } from '../../domain/lock';
import { readLockFile } from '../../activities/locks/lockStore';
import { startWorkerProcess, type WorkerProcess } from './workerProcess';

const EventType = temporal.api.enums.v1.EventType;
/** Git-ignored: scenario outcomes and worker logs. */
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/faults');

/** Polls until `probe` holds; the error names what was awaited and the last thing seen. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 300_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * One scenario's workers: their own task-queue prefix, one log file for all
 * of its worker processes (read afterwards for secrets and for debugging),
 * and the fault hold. `config` is what a client of this lane uses to start
 * workflows (its queues are the prefixed ones).
 */
export class Lane {
  readonly config: Config;
  readonly log: string;
  readonly faultDir: string;
  private readonly running = new Set<WorkerProcess>();

  constructor(
    base: Config,
    readonly name: string,
    private readonly env: Record<string, string> = {},
  ) {
    const prefix = `${name}-`;
    this.config = {
      ...base,
      temporal: { ...base.temporal, orchestrationQueue: prefix + 'tempered-orchestration', buildQueue: prefix + 'tempered-build' },
    };
    // Kept after the scenario (the state directory is not), for whoever reads a failure.
    this.log = path.join(ARTIFACTS, 'logs', `${name}.log`);
    fs.mkdirSync(path.dirname(this.log), { recursive: true });
    fs.rmSync(this.log, { force: true });
    this.faultDir = path.join(base.stateDir, 'faults', name);
    fs.mkdirSync(this.faultDir, { recursive: true });
  }

  /** Starts the compiled worker (dist/workers/main.js) for this lane. */
  async worker(env: Record<string, string> = {}): Promise<WorkerProcess> {
    const w = await startWorkerProcess(this.config, this.log, { TEMPERED_TASK_QUEUE_PREFIX: `${this.name}-`, ...this.env, ...env });
    this.running.add(w);
    w.child.once('exit', () => this.running.delete(w));
    return w;
  }

  /** A worker that holds `activity` at its start (heartbeating); resolves once one is held, with the worker. */
  async holdAt(activity: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
    const marker = path.join(this.faultDir, `${activity}.reached`);
    fs.rmSync(marker, { force: true });
    const w = await this.worker({ TEMPERED_FAULT_HOLD: activity, TEMPERED_FAULT_DIR: this.faultDir, ...env });
    await this.reached(activity);
    return w;
  }

  /** Waits until a worker of this lane holds `activity`. */
  async reached(activity: string): Promise<void> {
    const marker = path.join(this.faultDir, `${activity}.reached`);
    await until(`${this.name}: ${activity} to be reached`, () => fs.existsSync(marker) || undefined, 300_000);
  }

  /**
   * SIGKILLs `current` (a crash: its activity is lost mid-flight and only the
   * heartbeat timeout tells the server) with its successor already polling,
   * so a scenario pays the timeout and not also a worker start. The
   * successor holds `next` at its start when given; it cannot take the lost
   * activity before the server gives up on it.
   */
  async crash(current: WorkerProcess, next?: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
    if (next) fs.rmSync(path.join(this.faultDir, `${next}.reached`), { force: true });
    const successor = await this.worker(next ? { TEMPERED_FAULT_HOLD: next, TEMPERED_FAULT_DIR: this.faultDir, ...env } : env);
    await current.kill('SIGKILL');
    return successor;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running].map((w) => w.kill('SIGTERM')));
  }
}

export interface ActivityRecord {
  scheduled: number;
  completed: number;
  /** The attempt number of each started execution (the history records the last attempt only). */
  attempts: number[];
  /** The failure of the attempt before, as the started event records it. */
  lastFailures: string[];
}

/** Activity type -> what its executions did, across every run of the workflow id, oldest run first. */
export async function activityRecords(client: Client, workflowId: string): Promise<Record<string, ActivityRecord>> {
  const out: Record<string, ActivityRecord> = {};
  const runs: { runId: string; startTime: number }[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push({ runId: info.runId, startTime: info.startTime.getTime() });
  for (const { runId } of runs.sort((a, b) => a.startTime - b.startTime)) {
    const types = new Map<string, string>();
    for (const e of (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && scheduled) {
        const type = scheduled.activityType?.name ?? '?';
        types.set(String(e.eventId), type);
        (out[type] ??= { scheduled: 0, completed: 0, attempts: [], lastFailures: [] }).scheduled++;
      }
      const started = e.activityTaskStartedEventAttributes;
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && started) {
        const record = out[types.get(String(started.scheduledEventId)) ?? '?'];
        record?.attempts.push(started.attempt ?? 0);
        if (started.lastFailure?.message) record?.lastFailures.push(started.lastFailure.message);
      }
      const completed = e.activityTaskCompletedEventAttributes;
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && completed) {
        const record = out[types.get(String(completed.scheduledEventId)) ?? '?'];
        if (record) record.completed++;
      }
    }
  }
  return out;
}

/** Completed executions per activity type (the compact form to compare against one cycle). */
export function completedCounts(records: Record<string, ActivityRecord>): Record<string, number> {
  return Object.fromEntries(Object.entries(records).map(([type, r]) => [type, r.completed]));
}

/** Digests of the repository that carry cosign signature tags (`sha256-<hex>.sig`). */
export async function signedDigests(registry: RegistryClient, repository: string): Promise<string[]> {
  const tags = await registry.listTags(repository);
  return tags.flatMap((t) => (/^sha256-[0-9a-f]{64}\.sig$/.test(t) ? [`sha256:${t.slice(7, 71)}`] : [])).sort();
}

export interface PublishedCheck {
  digest: string;
  signatureLayers: number;
  /** predicate type -> layers in `.att` */
  legacyAttestations: Record<string, number>;
  /** predicate type -> entries in the `sha256-<hex>` referrers index */
  referrers: Record<string, number>;
}

/**
 * The image under `tag` is `digest`, with ONE signature set: one signature
 * layer in `.sig`, one `.att` layer and one referrer per predicate type, and
 * the whole verifies with the public key. Returns what it counted, for the
 * test's own expectations and for the record.
 */
export async function publishedOnce(registry: RegistryClient, repository: string, tag: string, digest: string, publicKeyPem: Buffer): Promise<PublishedCheck> {
  const tagged = await registry.resolve(repository, tag);
  if (tagged !== digest) throw new Error(`${repository}:${tag} is ${tagged ?? 'absent'}, expected ${digest}`);
  const sig = await readLegacyImage(registry, repository, signatureTag(digest));
  const att = await readLegacyImage(registry, repository, attestationTag(digest));
  const referrers = await readReferrers(registry, repository, digest);
  const count = (types: (string | undefined)[]) => types.reduce<Record<string, number>>((acc, t) => ({ ...acc, [t ?? '?']: (acc[t ?? '?'] ?? 0) + 1 }), {});
  const check: PublishedCheck = {
    digest,
    signatureLayers: sig.layers.length,
    legacyAttestations: count(att.layers.map((l) => l.descriptor.annotations?.[PREDICATE_TYPE_ANNOTATION])),
    referrers: count((referrers.index?.value.manifests ?? []).map((m) => m.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION])),
  };
  const report = await verifyImage({ registry, repository, reference: tag, publicKeyPem, require: EXPECTED_PREDICATES });
  if (report.digest !== digest) throw new Error(`verified ${report.digest}, expected ${digest}`);
  return check;
}

/** What every published image carries: provenance, SBOM, VEX and test results. */
export const EXPECTED_PREDICATES: string[] = [...IMAGE_ATTESTATION_TYPES];

/** One of each: the shape publishedOnce must return for a cleanly signed image. */
export function oneSignatureSet(digest: string): PublishedCheck {
  const once = (types: string[]) => Object.fromEntries(types.map((t) => [t, 1]));
  return { digest, signatureLayers: 1, legacyAttestations: once(EXPECTED_PREDICATES), referrers: once([PredicateType.cosignSign, ...EXPECTED_PREDICATES]) };
}

/**
 * The local stores hold only whole, honest files: every blob's bytes hash to
 * its name, every lock parses and hashes to its name, every build record
 * parses. `leftovers` lists temporary files left behind (partial writes).
 */
export function storeProblems(config: Pick<Config, 'stateDir' | 'buildCache'>): { problems: string[]; blobs: number; locks: number; leftovers: string[] } {
  const paths = statePaths(config);
  const problems: string[] = [];
  const leftovers: string[] = [];
  const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name) : []);

  const blobNames = list(path.join(paths.blobs, 'sha256'));
  for (const name of blobNames) {
    const actual = sha256Digest(fs.readFileSync(path.join(paths.blobs, 'sha256', name)));
    if (actual !== `sha256:${name}`) problems.push(`blob ${name} holds ${actual}`);
  }
  leftovers.push(...list(path.join(paths.blobs, 'tmp')).map((n) => `blobs/tmp/${n}`));

  let locks = 0;
  for (const name of list(paths.locks)) {
    if (!/^[0-9a-f]{64}\.json$/.test(name)) {
      leftovers.push(`locks/${name}`);
      continue;
    }
    locks++;
    try {
      const digest = lockDigest(readLockFile(path.join(paths.locks, name)));
      if (hexOf(digest) !== name.slice(0, 64)) problems.push(`lock ${name} hashes to ${digest}`);
    } catch (err) {
      problems.push(`lock ${name}: ${(err as Error).message.slice(0, 200)}`);
    }
  }
  for (const [what, dir] of [['build record', paths.builds], ['image record', paths.images]] as const) {
    for (const name of list(dir)) {
      if (!name.endsWith('.json')) {
        leftovers.push(`${path.basename(dir)}/${name}`);
        continue;
      }
      try {
        JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
      } catch (err) {
        problems.push(`${what} ${name}: ${(err as Error).message}`);
      }
    }
  }
  return { problems, blobs: blobNames.length, locks, leftovers };
}

/** Seconds since `t0`, one decimal: scenario timings for docs/RELIABILITY.md. */
export const secondsSince = (t0: number) => Math.round((Date.now() - t0) / 100) / 10;

/**
 * Writes a scenario's measured outcome to test-artifacts/faults/<name>.json
 * (git-ignored) and prints it: the figures docs/RELIABILITY.md reports.
 */
export function recordOutcome(name: string, outcome: Record<string, unknown>): void {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const text = JSON.stringify({ scenario: name, at: new Date().toISOString(), ...outcome }, null, 2);
  fs.writeFileSync(path.join(ARTIFACTS, `${name}.json`), text + '\n');
  console.log(`fault scenario ${name}: ${text}`);
}
