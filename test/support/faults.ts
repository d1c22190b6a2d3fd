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
import { RegistryClient } from '../../lib/oci/registry';
import { BUNDLE_PREDICATE_TYPE_ANNOTATION, readReferrers } from '../../lib/signing/bundles';
import { PREDICATE_TYPE_ANNOTATION, readLegacyImage } from '../../lib/signing/cosignLegacy';
import { attestationTag, signatureTag } from '../../lib/oci/artifacts';
import { verifyImage } from '../../lib/signing/verify';
import { PredicateType, PUBLISHED_ATTESTATION_TYPES } from '../../domain/attest/predicateTypes';
import { BUILD_QUEUE, type Config, ORCHESTRATION_QUEUE, statePaths } from '../../domain/config';
import { hexOf, sha256Digest } from '../../domain/digest';
import { lockDigest } from '../../domain/lock';
import type { PatchState } from '../../domain/patch/state';
import { readLockFile } from '../../lib/locks/lockStore';
import type { ActivityRecord } from './history';
import { startWorkerProcess, type WorkerProcess } from './workerProcess';
import { until } from './wait';

/** Git-ignored: scenario outcomes and worker logs. */
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/faults');

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
    // The queues parseConfig derives from TEMPERED_TASK_QUEUE_PREFIX, as the lane's workers do.
    const prefix = `${name}-`;
    this.config = {
      ...base,
      temporal: { ...base.temporal, orchestrationQueue: prefix + ORCHESTRATION_QUEUE, buildQueue: prefix + BUILD_QUEUE },
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

/** The cycle has ended: published and no cycle running (a base's cycle runs on through its cascade), or failed. */
export const cycleEnded = (s: PatchState): boolean => (!!s.published && !s.current) || s.phase === 'failed';

/** Completed executions per activity type (the compact form to compare against one cycle). */
export function completedCounts(records: Record<string, ActivityRecord>): Record<string, number> {
  return Object.fromEntries(Object.entries(records).map(([type, r]) => [type, r.completed]));
}

/** Attempt numbers per activity type (each the last attempt of one execution). */
export function attemptsOf(records: Record<string, ActivityRecord>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(records).map(([type, r]) => [type, r.attempts]));
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
  const report = await verifyImage({ registry, repository, reference: tag, publicKeyPem, require: PUBLISHED_ATTESTATION_TYPES });
  if (report.digest !== digest) throw new Error(`verified ${report.digest}, expected ${digest}`);
  return check;
}

/** One of each: the shape publishedOnce must return for a cleanly signed image (every published image carries PUBLISHED_ATTESTATION_TYPES). */
export function oneSignatureSet(digest: string): PublishedCheck {
  const once = (types: readonly string[]) => Object.fromEntries(types.map((t) => [t, 1]));
  return { digest, signatureLayers: 1, legacyAttestations: once(PUBLISHED_ATTESTATION_TYPES), referrers: once([PredicateType.cosignSign, ...PUBLISHED_ATTESTATION_TYPES]) };
}

/**
 * The end of every single-image scenario: `digest` is the only signed digest
 * of `repository`, `tag` points at it, and it carries exactly one signature
 * set that verifies with the stack's public key.
 */
export async function expectPublishedOnce(
  stack: { registry: { host: string }; config: Pick<Config, 'publicKeyPath'> },
  repository: string,
  digest: string,
  tag = 'bookworm',
): Promise<void> {
  const registry = new RegistryClient({ host: stack.registry.host, scheme: 'http' });
  expect(await signedDigests(registry, repository)).toEqual([digest]);
  expect(await publishedOnce(registry, repository, tag, digest, fs.readFileSync(stack.config.publicKeyPath))).toEqual(oneSignatureSet(digest));
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
