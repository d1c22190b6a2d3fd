/**
 * The upstream monitor end to end on a real Temporal dev server with real
 * workers: the Schedule `tempered-monitor` runs monitorWorkflow, whose
 * pollUpstream reads a real signed apt repository on 127.0.0.1 (gpgv
 * verified), a fixture Debian Security Tracker feed, and the published
 * images in a real registry, and signals real imagePatchWorkflow workflows.
 * Only the build stages of the patch workflow are doubles
 * (monitorStages.ts).
 *
 * The story: an advisory whose fix is not in the archive arrives -> the image
 * shows it waiting; an unchanged feed signals nothing; the test publishes the
 * fix into the repository -> the next poll nudges the image, which patches
 * itself with no manual signal; then polls are quiet. Last, a tampered
 * archive is refused and nothing is signalled.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Command } from 'commander';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { type LoadedArchive, loadArchive } from '../../lib/archive/fetch';
import { isArchiveError } from '../../lib/archive/errors';
import { configuredArchiveSources } from '../../lib/archive/shared';
import { type ActivityContext, createContext } from '../../lib/context';
import { monitorActivities } from '../../activities/monitor';
import { memoryFile } from '../../lib/monitor/memory';
import type { MonitorActivities, PollReport } from '../../activities/types';
import { packagesOfImage } from '../../client/imageContents';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import {
  describeMonitor, ensureMonitorSchedule, MONITOR_SCHEDULE_ID, monitorRunReport, MonitorRunFailedError, monitorSettingsFromEnv, triggerMonitor,
} from '../../client/monitorSchedule';
import { type Config, findRepoRoot, parseConfig } from '../../domain/config';
import type { ImageRef } from '../../domain/image';
import type { PatchState } from '../../domain/patch/state';
import { stateQuery } from '../../workflows/messages';
import { type ImpactReport, registerImpact } from '../../cli/commands/impact';
import { registerMonitor } from '../../cli/commands/monitor';
import { type AptRepo, createAptRepo, type FakePackage } from '../support/aptRepo';
import { workflowBundle } from '../support/bundle';
import { startRegistry, type TestRegistry } from '../support/registry';
import { startTemporal, type TestTemporal } from '../support/temporal';
import { recordHistories } from '../support/testWorker';
import { buildStageDoubles } from './monitorStages';
import { fetchRunHistory } from '../../client/runHistory';

jest.setTimeout(240_000);

const FEED = path.join(findRepoRoot(__dirname), 'test/fixtures/advisories/monitor/tracker.json');
const demo: ImageRef = { kind: 'catalog', name: 'demo', release: 'bookworm', variant: 'runtime' };
const other: ImageRef = { kind: 'catalog', name: 'other', release: 'bookworm', variant: 'runtime' };
const DEMO = 'image:demo:bookworm:runtime';
const OTHER = 'image:other:bookworm:runtime';

const upstream: FakePackage[] = [
  { name: 'libfoo1', version: '1.0-1', source: 'foo', architecture: 'amd64' },
  { name: 'libbar1', version: '2.0-1', source: 'bar', architecture: 'amd64' },
  // A binNMU: the binary is 3.0-1+b1, built from source baz 3.0-1.
  { name: 'libbaz1', version: '3.0-1+b1', source: 'baz', sourceVersion: '3.0-1', architecture: 'amd64' },
  { name: 'libqux1', version: '1.0-1', source: 'qux', architecture: 'amd64' },
];

let temporal: TestTemporal;
let registry: TestRegistry;
let repo: AptRepo;
let dir: string;
let config: Config;
let ctx: ActivityContext;
let client: Client;
let connection: NativeConnection;
let monitor: MonitorActivities;
let workers: Worker[] = [];
let bundle: { code: string };
let running: Promise<unknown>;
let cleanupStages: () => void = () => undefined;

/** The real archive loader, uncached: the shared 60-second reuse would hide what the test just published. */
async function freshArchive(): Promise<LoadedArchive> {
  return loadArchive(await configuredArchiveSources(config), { cacheDir: config.archiveCache });
}

async function stateOf(workflowId: string): Promise<PatchState> {
  return client.workflow.getHandle(workflowId).query(stateQuery);
}

async function waitForState(workflowId: string, what: string, done: (state: PatchState) => boolean, timeoutMs = 90_000): Promise<PatchState> {
  const deadline = Date.now() + timeoutMs;
  let last: PatchState | undefined;
  while (Date.now() < deadline) {
    last = await stateOf(workflowId).catch(() => undefined);
    if (last && done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const pending = (await client.workflow.getHandle(workflowId).describe()).raw.pendingActivities?.[0];
  const activity = pending ? `${pending.activityType?.name} attempt ${pending.attempt}: ${pending.lastFailure?.message ?? 'no failure'}` : 'no activity running';
  throw new Error(`${workflowId}: ${what} did not happen within ${timeoutMs} ms (${activity}); last state: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

/** Waits until the image is idle or waiting between cycles (no cycle in flight, nothing queued). */
const settled = (s: PatchState) => !s.current && s.pending.length === 0 && s.requests.length === 0 && (s.phase === 'idle' || s.phase === 'waiting-for-fix');

async function pollNow(): Promise<PollReport> {
  const run = await triggerMonitor(client, { timeoutMs: 60_000 });
  expect(run.queuedBehind).toBeUndefined();
  return monitorRunReport(client, run);
}

const waitingIds = (s: PatchState) => s.waiting.map((w) => w.advisory.id).sort();

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Installed already by another test file in this jest worker.
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-monitor-test-'));
  [temporal, registry, repo] = await Promise.all([startTemporal(), startRegistry(), createAptRepo({ dir: path.join(dir, 'repo') })]);
  await repo.publish(upstream);
  const env = {
    TEMPERED_STATE_DIR: path.join(dir, 'state'),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPERED_REGISTRY: registry.host,
    TEMPERED_TASK_QUEUE_PREFIX: 'monitor-test-',
    TEMPERED_ARCHIVE: JSON.stringify([{ uri: repo.url, suites: [repo.suite], components: ['main'], architectures: ['amd64'], keyring: repo.keyringPath }]),
  };
  // The CLI commands read their configuration from the environment, as `tempered` does.
  Object.assign(process.env, env);
  config = parseConfig(env);
  ctx = createContext(config);
  client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  monitor = monitorActivities(ctx, { client: async () => client, archive: freshArchive });

  const stages = buildStageDoubles({
    images: { demo: ['libfoo1', 'libbar1', 'libbaz1'], other: ['libqux1'] },
    archive: freshArchive,
    registry: ctx.registry,
    registryHost: config.registry.host,
    repositoryPrefix: config.registry.repositoryPrefix,
  });
  cleanupStages = stages.cleanup;
  bundle = await workflowBundle();
  connection = await NativeConnection.connect({ address: temporal.address });
  // Both workers register every activity, as workers/run.ts does: which queue runs which stage is the workflow's choice.
  const activities = { ...stages, ...monitor, listDependents: async () => [], notifyImage: async () => undefined };
  workers = [
    await Worker.create({ connection, taskQueue: config.temporal.orchestrationQueue, workflowBundle: bundle, activities, shutdownGraceTime: '2 seconds' }),
    await Worker.create({ connection, taskQueue: config.temporal.buildQueue, activities, shutdownGraceTime: '2 seconds' }),
  ];
  running = Promise.all(workers.map((worker) => worker.run()));

  // Both images get their first cycle (an initial build) and publish before the monitor looks.
  for (const image of [demo, other]) await ensureImageWorkflow(client, config, image, { debounceSeconds: 1 });
  for (const id of [DEMO, OTHER]) await waitForState(id, 'first publish', (s) => s.published !== undefined && settled(s));
});

afterAll(async () => {
  for (const worker of workers) worker.shutdown();
  await running?.catch(() => undefined);
  await connection?.close();
  await client?.connection.close();
  await Promise.all([temporal?.stop(), registry?.stop(), repo?.close()]);
  cleanupStages();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the tempered-monitor Schedule', () => {
  it('is created once and updated only when its settings change', async () => {
    const settings = monitorSettingsFromEnv({ TEMPERED_FEEDS: JSON.stringify([FEED]) });
    expect(settings).toEqual({ intervalMs: 3_600_000, feeds: [FEED] });
    expect(await ensureMonitorSchedule(client, config, settings)).toBe('created');
    expect(await ensureMonitorSchedule(client, config, settings)).toBe('unchanged');
    expect(await ensureMonitorSchedule(client, config, { ...settings, intervalMs: 7_200_000 })).toBe('updated');
    expect(await ensureMonitorSchedule(client, config, settings)).toBe('updated');
    const status = await describeMonitor(client);
    expect(status).toMatchObject({ scheduleId: MONITOR_SCHEDULE_ID, paused: false, intervalMs: 3_600_000, feeds: [FEED], taskQueue: config.temporal.orchestrationQueue, runs: [] });
  });

  it('reads its settings from the environment, naming the variable and entry at fault', () => {
    expect(monitorSettingsFromEnv({ TEMPERED_MONITOR_INTERVAL: '15m', TEMPERED_FEEDS: 'feeds/tracker.json' }, '/srv/tempered')).toEqual({
      intervalMs: 900_000, feeds: ['/srv/tempered/feeds/tracker.json'],
    });
    expect(monitorSettingsFromEnv({})).toEqual({ intervalMs: 3_600_000, feeds: [] });
    expect(() => monitorSettingsFromEnv({ TEMPERED_MONITOR_INTERVAL: '5s' })).toThrow(
      'environment TEMPERED_MONITOR_INTERVAL: "5s" is not a duration of at least 10s (examples: 15m, 1h, 6h)',
    );
    expect(() => monitorSettingsFromEnv({ TEMPERED_FEEDS: JSON.stringify(['/srv/a.json', 'https://u:p@feeds.example/osv.zip']) })).toThrow(
      'environment TEMPERED_FEEDS[1]: must not contain credentials: feed locations are recorded in workflow history',
    );
    expect(() => monitorSettingsFromEnv({ TEMPERED_FEEDS: '["/srv/a.json"' })).toThrow(/^environment TEMPERED_FEEDS: not a JSON array/);
  });
});

describe('monitoring upstream', () => {
  let publishedBefore: string | undefined;

  it('signals each affecting advisory once; the image shows them waiting for a fix', async () => {
    const report = await pollNow();
    expect(report).toMatchObject({
      archive: { suites: [repo.suite], packages: upstream.length },
      feeds: { configured: 1, loaded: 1, advisories: 5 },
      images: { running: 2, checked: 2, unpublished: 0 },
      // CVE-2099-1001 (foo, fix not in the archive yet) and CVE-2099-1002 (bar, no fix) affect demo only;
      // 1003 is fixed in the binNMU's source, 1004 names a package no image has, 1005 is not affected.
      advisories: { affecting: 2, sent: 2, nudged: 0, retracted: 0, remembered: 0 },
      upstream: { sent: 0, remembered: 0 },
      signalled: [DEMO],
      problems: 1,
      incomplete: false,
    });
    expect(report.problemSamples[0]).toMatch(/bar\/CVE-2099-1006: .*2\.0 beta/);

    const state = await waitForState(DEMO, 'both advisories waiting', (s) => settled(s) && waitingIds(s).length === 2);
    expect(waitingIds(state)).toEqual(['CVE-2099-1001', 'CVE-2099-1002']);
    expect(state.phase).toBe('waiting-for-fix');
    expect(state.waiting.find((w) => w.advisory.id === 'CVE-2099-1001')?.why).toBe('fix 1.0-2 not in the archive yet (newest 1.0-1)');
    publishedBefore = state.published?.digest;

    const untouched = await stateOf(OTHER);
    expect(untouched.pending).toEqual([]);
    expect(untouched.waiting).toEqual([]);

    const memory = JSON.parse(fs.readFileSync(memoryFile(config.stateDir), 'utf8'));
    expect(Object.keys(memory.images[DEMO].advisories).sort()).toEqual(['CVE-2099-1001/foo@1.0-2#bookworm', 'CVE-2099-1002/bar@none#bookworm']);
  });

  it('signals nothing when the feed and the archive have not changed', async () => {
    const before = await stateOf(DEMO);
    const report = await pollNow();
    expect(report.advisories).toEqual({ affecting: 2, sent: 0, nudged: 0, retracted: 0, remembered: 2 });
    expect(report.upstream).toEqual({ sent: 0, remembered: 0 });
    expect(report.signalled).toEqual([]);
    const after = await stateOf(DEMO);
    expect(after.nextCycle).toBe(before.nextCycle);
    expect(after.requests).toEqual([]);
  });

  it('nudges the image when the fix reaches the archive, and the image patches itself', async () => {
    await repo.publish([{ name: 'libfoo1', version: '1.0-2', source: 'foo', architecture: 'amd64' }]);
    const report = await pollNow();
    expect(report.advisories).toMatchObject({ sent: 0, nudged: 1, remembered: 1 });
    expect(report.upstream).toEqual({ sent: 1, remembered: 0 });
    expect(report.signalled).toEqual([DEMO]);

    const patched = await waitForState(DEMO, 'a new publish with the fix', (s) => settled(s) && s.published?.digest !== publishedBefore);
    expect(patched.handled.find((h) => h.advisory.id === 'CVE-2099-1001')?.verdict).toMatchObject({ status: 'fixed', version: '1.0-2' });
    expect(waitingIds(patched)).toEqual(['CVE-2099-1002']);
    const cycle = patched.cycles.at(-1);
    expect(cycle?.outcome).toBe('published');
    expect(cycle?.reasons).toEqual(expect.arrayContaining([{ kind: 'upstream', packages: ['libfoo1 1.0-2'] }]));

    // What the registry now serves, read the way the monitor reads it.
    const packages = await packagesOfImage(ctx, 'tempered/demo', patched.published?.digest ?? '');
    expect(packages.find((p) => p.name === 'libfoo1')?.version).toBe('1.0-2');
  });

  it('is quiet again once the image has the fix', async () => {
    const report = await pollNow();
    expect(report.advisories).toEqual({ affecting: 1, sent: 0, nudged: 0, retracted: 0, remembered: 1 });
    expect(report.upstream).toEqual({ sent: 0, remembered: 0 });
    expect(report.signalled).toEqual([]);
  });

  it('reports the recent runs of the Schedule with their reports', async () => {
    const status = await describeMonitor(client);
    expect(status.runs.map((r) => r.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(status.runs[1]?.report?.advisories.nudged).toBe(1);
  });

  it('replays: the recorded histories of the polls run again deterministically', async () => {
    const { runs } = await describeMonitor(client);
    const histories = await Promise.all(runs.map(async (run) => ({ workflowId: run.workflowId, history: await fetchRunHistory(client, run.workflowId, run.runId) })));
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'monitor' }, histories)) {
      expect(result.error).toBeUndefined();
      replayed += 1;
    }
    expect(replayed).toBe(4);
    // RECORD_HISTORIES=1 keeps them for the replay suite (test/replay/histories/monitor/).
    for (const run of runs) await recordHistories(client, run.workflowId, 'monitor');
  });
});

describe('a source that cannot be read', () => {
  it('delivers everything else, then fails retryably with the report attached', async () => {
    const unreachable = 'http://127.0.0.1:9/tracker.json';
    const failure = await monitor.pollUpstream({ feeds: [unreachable, FEED] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'UpstreamIncomplete', nonRetryable: false });
    const [report] = (failure as ApplicationFailure).details as [PollReport];
    expect(report).toMatchObject({ feeds: { configured: 2, loaded: 1 }, problems: 2, incomplete: true, advisories: { sent: 0, remembered: 1 } });
    expect(report.problemSamples[0]).toContain(`cannot load advisory feed ${unreachable}`);
  });

  it('ends the run with that report once the retries are spent', async () => {
    const partial: PollReport = {
      archive: { suites: ['bookworm'], packages: 1 }, feeds: { configured: 2, loaded: 1, advisories: 3, skipped: 0 },
      images: { running: 1, checked: 1, unpublished: 0 }, advisories: { affecting: 1, sent: 1, nudged: 0, retracted: 0, remembered: 0 },
      upstream: { sent: 0, remembered: 0 }, signalled: [DEMO], problems: 1, problemSamples: ['https://feeds.example/osv.zip: HTTP 503'], incomplete: true,
    };
    // Failure injection: the last attempt's failure, without waiting through the real backoff.
    const injected = { pollUpstream: async () => Promise.reject(ApplicationFailure.create({ message: 'incomplete', type: 'UpstreamIncomplete', nonRetryable: true, details: [partial] })) };
    const taskQueue = 'monitor-test-injected';
    const worker = await Worker.create({ connection, taskQueue, workflowBundle: bundle, activities: injected, shutdownGraceTime: '1 second' });
    const report = await worker.runUntil(client.workflow.execute('monitorWorkflow', { taskQueue, workflowId: 'monitor-incomplete', args: [{ feeds: [] }] }));
    expect(report).toEqual(partial);
  });
});

describe('the CLI', () => {
  /** Runs `tempered <args>` in-process with the commands of this issue; returns what it printed. */
  async function tempered(...args: string[]): Promise<string> {
    const printed: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((line?: unknown) => void printed.push(String(line)));
    try {
      const program = new Command('tempered').exitOverride();
      registerImpact(program);
      registerMonitor(program);
      await program.parseAsync(['node', 'tempered', ...args]);
    } finally {
      spy.mockRestore();
    }
    return printed.join('\n');
  }

  it('impact --json: which images an advisory affects, and why the others are not', async () => {
    const report = JSON.parse(await tempered('impact', FEED, '--json')) as ImpactReport;
    expect(report.feed).toMatchObject({ advisories: 5, problems: [{ where: 'tracker.json#bar/CVE-2099-1006' }] });
    expect(report.images.map((i) => i.image)).toEqual(['demo:bookworm', 'other:bookworm']);
    expect(report.affected).toEqual([
      expect.objectContaining({ image: 'demo:bookworm', advisory: 'CVE-2099-1002', source: 'bar', binaries: ['libbar1'], installed: ['2.0-1'], fixedVersion: null, verdict: 'no-fix-yet' }),
    ]);
    const why = Object.fromEntries(report.unaffected.map((r) => [`${r.image} ${r.advisory}`, r.verdict]));
    expect(why).toEqual({
      'demo:bookworm CVE-2099-1001': 'fixed-in-image',
      'demo:bookworm CVE-2099-1003': 'fixed-in-image',
      'demo:bookworm CVE-2099-1005': 'not-affected',
    });
    expect(report.unaffected.find((r) => r.advisory === 'CVE-2099-1003')).toMatchObject({ binaries: ['libbaz1'], installed: ['3.0-1'], fixedVersion: '2.9-1' });
    expect(report.notInstalled).toEqual([
      { advisory: 'CVE-2099-1001', source: 'foo', release: 'bookworm', images: ['other:bookworm'], everywhere: false },
      { advisory: 'CVE-2099-1005', source: 'foo', release: 'bookworm', images: ['other:bookworm'], everywhere: false },
      { advisory: 'CVE-2099-1002', source: 'bar', release: 'bookworm', images: ['other:bookworm'], everywhere: false },
      { advisory: 'CVE-2099-1003', source: 'baz', release: 'bookworm', images: ['other:bookworm'], everywhere: false },
      { advisory: 'CVE-2099-1004', source: 'quux', release: 'bookworm', images: ['demo:bookworm', 'other:bookworm'], everywhere: true },
    ]);
  });

  it('impact: a table for people', async () => {
    const text = await tempered('impact', FEED);
    expect(text).toContain('Affected (1):');
    expect(text).toMatch(/demo:bookworm\s*│ CVE-2099-1002 │ bookworm │ bar \(libbar1\)\s*│ 2\.0-1\s*│ no fix yet\s*│ affected, no fix yet/);
    expect(text).toContain('already fixed: installed baz 3.0-1 (libbaz1) already includes the fix baz 2.9-1');
    expect(text).toContain('not installed: no package built from foo');
    expect(text).toContain('Not installed in any image (1): CVE-2099-1004 (quux, bookworm)');
  });

  it('monitor run --json polls through the Schedule; monitor status shows the runs', async () => {
    const run = JSON.parse(await tempered('monitor', 'run', '--json')) as { workflowId: string; report: PollReport };
    expect(run.workflowId).toMatch(/^tempered-monitor-/);
    expect(run.report.advisories.sent).toBe(0);
    const status = await tempered('monitor', 'status');
    expect(status).toContain(`Schedule ${MONITOR_SCHEDULE_ID}: every 1h, overlap SKIP, active`);
    expect(status).toContain(run.workflowId);
  });
});

describe('an archive that cannot be trusted', () => {
  it('is refused when an index does not match its signed Release, retryably, and nothing is signalled', async () => {
    const before = await stateOf(DEMO);
    await repo.corruptIndex();
    // A fresh index cache: the verified copy on disk would (rightly) be used instead of the altered download.
    const uncached = monitorActivities(ctx, {
      client: async () => client,
      archive: async () => loadArchive(await configuredArchiveSources(config), { cacheDir: path.join(dir, 'fresh-cache') }),
    });
    const failure = await uncached.pollUpstream({ feeds: [FEED] }).catch((error: unknown) => error);
    expect(isArchiveError(failure, 'ARCHIVE_HASH_MISMATCH')).toBe(true);
    expect((await stateOf(DEMO)).nextCycle).toBe(before.nextCycle);
  });

  it('fails the poll at once on a bad signature, naming it, and nothing is signalled', async () => {
    const before = await stateOf(DEMO);
    await repo.breakSignature();
    const failure = await monitor.pollUpstream({ feeds: [FEED] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ArchiveUntrusted', nonRetryable: true });
    expect((failure as Error).message).toContain('ARCHIVE_BAD_SIGNATURE');

    // Through the Schedule: one attempt (non-retryable), and the run fails with the reason.
    const run = await triggerMonitor(client, { timeoutMs: 60_000 });
    const result = await monitorRunReport(client, run).catch((error: unknown) => error);
    expect(result).toBeInstanceOf(MonitorRunFailedError);
    expect((result as Error).message).toContain('ARCHIVE_BAD_SIGNATURE');
    expect((await stateOf(DEMO)).nextCycle).toBe(before.nextCycle);
  });
});
