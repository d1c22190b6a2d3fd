/**
 * The cluster shape, as `scripts/cluster up` runs it on its own ports and state directory: the real
 * Temporal server on PostgreSQL as four processes, the registry with htpasswd auth, two orchestration
 * and two build workers with their own state directories. Each scenario patches the canary image (the
 * local signed apt repository publishes the fix) while something fails, and ends with ONE new digest
 * carrying ONE signature set that verifies: a build worker SIGKILLed mid-build, the history service
 * killed and restarted mid-cycle, every worker's state directory deleted between cycles, PostgreSQL
 * restarted mid-cycle.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { packagesOfImage } from '../../client/imageContents';
import { parseConfig } from '../../domain/config';
import { createContext } from '../../lib/context';
import { RegistryClient } from '../../lib/oci/registry';
import { advisorySignal, stateQuery, upstreamSignal } from '../../workflows/messages';
import { type CliResult, runCli, runProcess } from '../support/cli';
import { activityRecords } from '../support/history';
import { clusterFrontendPort, freePort } from '../support/ports';
import { TEMPORAL_BIN } from '../support/temporal';
import { oneSignatureSet, publishedOnce, signedDigests } from '../support/faults';
import { canaryPackage, CANARY_DEFINITION, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { until, waitForState } from '../support/wait';

jest.setTimeout(900_000);

const ROOT = path.resolve(__dirname, '../..');
const WORKFLOW = 'image:canary:bookworm:runtime';
const REPOSITORY = 'tempered/canary';
const WORKERS = ['orchestration-1', 'orchestration-2', 'build-1', 'build-2'];

let upstream: Upstream;
let stateDir: string;
let clusterDir: string;
let env: Record<string, string>;
let connection: Connection;
let client: Client;
let registry: RegistryClient;
/** Reads images as a worker without state would (its own empty state directory). */
let reader: ReturnType<typeof createContext>;

const ok = (r: CliResult) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
};
const cluster = (...args: string[]) => runProcess(path.join(ROOT, 'scripts', 'cluster'), args, env);
const recordedPid = (name: string) => Number(fs.readFileSync(path.join(clusterDir, 'run', `${name}.pid`), 'utf8').split(' ')[0]);
const state = () => client.workflow.getHandle(WORKFLOW).query(stateQuery);
const advisoryId = (version: string) => `CVE-2099-0${version.replace(/\D/g, '')}`;

/** Publishes `version` upstream and signals the advisory it fixes; returns the digest published before. */
async function advise(version: string): Promise<string> {
  const before = (await state()).published!.digest;
  await upstream.repo.publish([canaryPackage(version)]);
  await client.workflow.getHandle(WORKFLOW).signal(advisorySignal, { id: advisoryId(version), source: 'tempered-canary', fixedVersion: version, severity: 'high' });
  return before;
}

/** The cycle after `before` published a new digest holding `version`: once, signed once, verified. */
async function expectPatchedOnce(before: string, version: string): Promise<string> {
  const patched = await waitForState(client, WORKFLOW, (s) => (s.published?.digest !== before && s.phase === 'idle') || s.phase === 'failed');
  expect(patched.failure).toBeUndefined();
  const digest = patched.published!.digest;
  const packages = await packagesOfImage(reader, REPOSITORY, digest);
  expect(packages.find((p) => p.name === 'tempered-canary')?.version).toBe(version);
  expect((await signedDigests(registry, REPOSITORY)).filter((d) => d === digest)).toEqual([digest]);
  expect(await publishedOnce(registry, REPOSITORY, 'bookworm', digest, fs.readFileSync(path.join(clusterDir, 'secrets', 'signing.pub')))).toEqual(oneSignatureSet(digest));
  return digest;
}

beforeAll(async () => {
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-cluster-'));
  fs.chmodSync(stateDir, 0o755); // PostgreSQL runs as the postgres user, under it
  clusterDir = path.join(stateDir, 'cluster');
  const catalog = writeCatalog({ canary: CANARY_DEFINITION });
  env = {
    TEMPERED_STATE_DIR: stateDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${await clusterFrontendPort()}`,
    TEMPERED_REGISTRY: `127.0.0.1:${await freePort()}`,
    TEMPERED_UI_PORT: String(await freePort()),
    TEMPERED_CLUSTER_PG_PORT: String(await freePort()),
    TEMPERED_CATALOG_DIR: catalog,
    TEMPERED_CUSTOMIZATIONS_DIR: path.join(catalog, 'customizations'),
    TEMPERED_ARCHIVE: upstream.archive,
    TEMPERED_ARCHITECTURES: 'amd64',
  };
  ok(await cluster('up'));
  // What the CLI and this test use to reach the cluster: the same secrets files the workers read.
  Object.assign(env, {
    TEMPERED_REGISTRY_USERNAME: 'tempered',
    TEMPERED_REGISTRY_PASSWORD_FILE: path.join(clusterDir, 'secrets', 'registry-password'),
    TEMPERED_SIGNING_KEY: path.join(clusterDir, 'secrets', 'signing.key'),
  });
  const config = parseConfig(env);
  registry = createContext(config).registry;
  reader = createContext(parseConfig({ ...env, TEMPERED_STATE_DIR: path.join(stateDir, 'reader') }));
  connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  if (env) await cluster('down');
  await upstream?.close();
  // The processes' logs outlive the run, for a failure to be read (test-artifacts/ is git-ignored).
  if (clusterDir && fs.existsSync(path.join(clusterDir, 'logs'))) {
    const kept = path.join(ROOT, 'test-artifacts', 'cluster-logs');
    fs.rmSync(kept, { recursive: true, force: true });
    fs.cpSync(path.join(clusterDir, 'logs'), kept, { recursive: true });
  }
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
});

test('up: the frontend is SERVING, four server processes, PostgreSQL, four workers with their own state directories, canary published and signed', async () => {
  const health = await runProcess(TEMPORAL_BIN, ['operator', 'cluster', 'health', '--address', env.TEMPORAL_ADDRESS as string], env);
  expect(health.stdout).toMatch(/SERVING/);
  const status = JSON.parse(ok(await cluster('status', '--json'))) as { health: string; components: { name: string; pid: number | null; state: string }[] };
  expect(status.health).toBe('SERVING');
  expect(status.components.filter((c) => c.state !== 'running')).toEqual([]);
  const cmdlines = status.components.map((c) => fs.readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').split('\0').join(' '));
  expect(cmdlines.filter((c) => /--service (frontend|history|matching|worker)/.test(c))).toHaveLength(4);
  expect(cmdlines.filter((c) => c.includes('postgres'))).toHaveLength(1);
  const workerStateDirs = WORKERS.map((w) => fs.readFileSync(`/proc/${recordedPid(`worker-${w}`)}/environ`, 'utf8').split('\0').find((v) => v.startsWith('TEMPERED_STATE_DIR=')));
  expect(new Set(workerStateDirs).size).toBe(4);
  // No secret in a worker's environment: file paths only.
  for (const w of WORKERS) expect(fs.readFileSync(`/proc/${recordedPid(`worker-${w}`)}/environ`, 'utf8')).not.toContain(fs.readFileSync(path.join(clusterDir, 'secrets', 'registry-password'), 'utf8'));

  const first = await waitForState(client, WORKFLOW, (s) => !!s.published || s.phase === 'failed');
  expect(first.failure).toBeUndefined();
  expect(await publishedOnce(registry, REPOSITORY, 'bookworm', first.published!.digest, fs.readFileSync(path.join(clusterDir, 'secrets', 'signing.pub')))).toEqual(oneSignatureSet(first.published!.digest));
});

test('an advisory submitted with the CLI is patched end to end across the workers', async () => {
  const before = (await state()).published!.digest;
  await upstream.repo.publish([canaryPackage('1.0-2')]);
  const file = path.join(stateDir, 'advisory.json');
  fs.writeFileSync(file, JSON.stringify({ id: 'CVE-2099-0102', source: 'tempered-canary', fixedVersion: '1.0-2', severity: 'high' }));
  const submitted = JSON.parse(ok(await runCli(['advisory', 'submit', file, '--json'], env))) as { image: string; action: string }[];
  // The runtime and the dev variant's workflows are both told.
  expect(submitted).toContainEqual(expect.objectContaining({ image: 'canary:bookworm', action: 'signalled' }));
  await expectPatchedOnce(before, '1.0-2');
});

test('a build worker SIGKILLed mid-build: the build completes on the other one', async () => {
  const before = await advise('1.0-3');
  const handle = client.workflow.getHandle(WORKFLOW);
  const building = await until('a build running on a build worker', async () => {
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    const build = pending.find((a) => a.activityType?.name === 'buildImage' && a.lastWorkerIdentity);
    return build?.lastWorkerIdentity ?? undefined;
  }, 120_000, 50);
  const pid = Number(/ (\d+)@/.exec(building)?.[1]);
  const victim = WORKERS.find((w) => recordedPid(`worker-${w}`) === pid);
  expect(victim).toMatch(/^build-/);
  process.kill(pid, 'SIGKILL');
  await expectPatchedOnce(before, '1.0-3');
  const builds = (await activityRecords(client, WORKFLOW)).buildImage!;
  expect(builds.identities.at(-1)).not.toContain(` ${pid}@`);
  ok(await cluster('up', '--no-wait'));
  expect(recordedPid(`worker-${victim}`)).not.toBe(pid);
});

test('the history service killed and restarted mid-cycle: the cycle continues, the advisory is not lost', async () => {
  const before = await advise('1.0-4');
  await waitForState(client, WORKFLOW, (s) => !!s.current, 60_000);
  process.kill(recordedPid('temporal-history'), 'SIGKILL');
  await new Promise((r) => setTimeout(r, 3000));
  ok(await cluster('up', '--no-wait'));
  await expectPatchedOnce(before, '1.0-4');
  expect((await state()).handled.map((h) => h.advisory.id)).toContain(advisoryId('1.0-4'));
});

test('every worker state directory deleted between cycles: an unchanged upstream builds nothing, a change builds once, tempered build works from nothing', async () => {
  for (const w of WORKERS) fs.rmSync(path.join(clusterDir, 'workers', w), { recursive: true, force: true });
  const builds = async () => (await activityRecords(client, WORKFLOW)).buildImage?.completed ?? 0;
  const buildsBefore = await builds();
  const signalledAt = new Date().toISOString();
  // What the monitor sends when the archive may have changed: a cycle that resolves the same lock.
  await client.workflow.getHandle(WORKFLOW).signal(upstreamSignal, { packages: ['tempered-canary 1.0-4'] });
  const unchanged = await until('the cycle of the unchanged upstream', async () => {
    const s = await state();
    const cycle = s.cycles.at(-1);
    return s.phase === 'idle' && cycle && cycle.startedAt > signalledAt && cycle.finishedAt ? cycle : undefined;
  }, 120_000);
  expect(['up-to-date', 'unchanged']).toContain(unchanged.outcome);
  expect(await builds()).toBe(buildsBefore);

  const before = await advise('1.0-5');
  await expectPatchedOnce(before, '1.0-5');
  expect(await builds()).toBe(buildsBefore + 1);

  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-cluster-fresh-'));
  const built = JSON.parse(ok(await runCli(['build', 'canary', '--release', 'bookworm', '--json'], { ...env, TEMPERED_STATE_DIR: fresh }))) as { digest: string };
  expect(built.digest).toMatch(/^sha256:/);
  fs.rmSync(fresh, { recursive: true, force: true });
});

test('PostgreSQL restarted mid-cycle: the cycle completes once', async () => {
  const before = await advise('1.0-6');
  await waitForState(client, WORKFLOW, (s) => !!s.current, 60_000);
  const pgData = path.join(clusterDir, 'postgresql');
  // pg_ctl restart keeps the options the server was started with (postmaster.opts).
  ok(await runProcess('runuser', ['-u', 'postgres', '--', '/usr/lib/postgresql/15/bin/pg_ctl', '-D', pgData, '-m', 'fast', '-w', 'restart', '-l', path.join(clusterDir, 'logs', 'postgresql.log')], env));
  await expectPatchedOnce(before, '1.0-6');
});
