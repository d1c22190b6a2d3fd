/**
 * How far one machine goes (issue 8): 1,000 image workflows started and idle
 * on a fresh dev server, one advisory fanned out to all of them, and the
 * history a patch cycle costs, alone and over 100 cycles of one image.
 *
 * Real parts: a Temporal dev server (in-memory SQLite, the project's search
 * attributes) and workers running the real workflow code with the production
 * worker options. The stage activities are the in-memory doubles of
 * test/workflow/fakeStages.ts: this bench measures orchestration (Temporal and
 * the workflow), not Docker; advisory-to-publish measures the real stages.
 *
 * Memory: worker RSS is this process (workers, their sticky workflow cache,
 * and the client that drives the bench); server RSS is the `temporal`
 * process's VmRSS from /proc.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { mapLimit } from '../lib/process/pool';
import { listRuns } from '../client/imageHistory';
import { ensureImageWorkflow, signalAdvisory } from '../client/imageWorkflows';
import { parseConfig } from '../domain/config';
import type { ImageRef } from '../domain/image';
import { workflowBundle } from '../test/support/bundle';
import { startTemporal, TEMPORAL_BIN } from '../test/support/temporal';
import { until, waitForState } from '../test/support/wait';
import { FakeUpstream } from '../test/workflow/fakeStages';
import { ORCHESTRATION_TUNING } from '../workers/tuning';
import { type BenchSection, machineLine, median, seconds } from './report';
import { fetchRunHistory } from '../client/runHistory';

const IMAGES = Number(process.env.SCALE_IMAGES ?? 10_000);
const CYCLES = Number(process.env.SCALE_CYCLES ?? 100);
const IN_FLIGHT = 50;
const EventType = temporal.api.enums.v1.EventType;
/** The worker's sticky cache size: the production worker's (workers/tuning.ts) unless SCALE_MAX_CACHED says otherwise. */
const MAX_CACHED = process.env.SCALE_MAX_CACHED ? Number(process.env.SCALE_MAX_CACHED) : ORCHESTRATION_TUNING.maxCachedWorkflows;
const ADVISORY = 'CVE-2099-0042';
const TARGETS = { workerRssMiB: 1536, fanOutSeconds: 60, eventsPerCycle: 60, eventsPerRun: 2000 };

const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const imageOf = (i: number): ImageRef => ({ kind: 'catalog', name: `scale-${String(i).padStart(5, '0')}`, release: 'bookworm', variant: 'runtime' });

/** Polls a visibility count until it reaches `want`; returns the milliseconds it took from `since`. */
async function countReaches(client: Client, query: string, want: number, since: number, timeoutMs: number, everyMs = 250): Promise<number> {
  let count = 0;
  await until(() => `${query}: ${count}/${want}`, async () => ((count = (await client.workflow.count(query)).count) >= want) || undefined, timeoutMs, everyMs);
  return Date.now() - since;
}

/**
 * Waits until no workflow task is queued on the shared queue, three polls in
 * a row: every run, the new ones of each continue-as-new too, has run its
 * first task. Until then the workflows are not idle, whatever visibility says.
 */
async function sharedQueueDrained(client: Client, taskQueue: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let quiet = 0; quiet < 3; ) {
    const { stats } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, reportStats: true,
    });
    if (!stats) throw new Error(`${taskQueue}: the server reports no task queue stats`);
    quiet = Number(stats.approximateBacklogCount ?? 0) === 0 ? quiet + 1 : 0;
    if (Date.now() > deadline) throw new Error(`${taskQueue}: ${stats.approximateBacklogCount} workflow tasks still queued after ${timeoutMs / 1000} s`);
    await sleep(1_000);
  }
}

/** How the workflow task that took a signal ran: from the worker's cache (sticky queue) or replayed (shared queue), and how long it took. */
interface SignalTask {
  /** Milliseconds from the first signal sent until the workflow's state had the advisory. */
  recordedMs: number;
  replayed: boolean;
  /** WorkflowTaskStarted -> WorkflowTaskCompleted: the worker's time on it, a replay included. */
  taskMs: number;
}

/**
 * When each workflow took `advisory` into its state, in milliseconds after
 * `since`: the time of the search-attribute upsert that added it, in the
 * first run that lists it (the run that received the signal), and whether
 * the task that did it was replayed: a workflow out of the worker's cache gets
 * its next task on the shared queue (the worker told the server when it
 * evicted it), a cached one on its sticky queue. Read from the histories,
 * after the fact, so polling does not slow what it measures.
 */
async function signalTasks(client: Client, advisory: string, want: number, since: number): Promise<SignalTask[]> {
  const firstRun = new Map<string, { runId: string; start: number }>();
  for await (const info of client.workflow.list({ query: `PendingAdvisories = '${advisory}'` })) {
    const seen = firstRun.get(info.workflowId);
    if (!seen || info.startTime.getTime() < seen.start) firstRun.set(info.workflowId, { runId: info.runId, start: info.startTime.getTime() });
  }
  if (firstRun.size !== want) throw new Error(`${firstRun.size} workflows list ${advisory}, not ${want}`);
  const tasks = await mapLimit([...firstRun], 20, async ([workflowId, run]) => {
    const events = (await fetchRunHistory(client, workflowId, run.runId)).events ?? [];
    const at = events.findIndex((e) => {
      const data = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.PendingAdvisories?.data;
      return !!data && Buffer.from(data).toString('utf8').includes(advisory);
    });
    const upsert = events[at];
    if (!upsert?.eventTime) throw new Error(`${workflowId}: run ${run.runId} lists ${advisory} but no upsert in its history added it`);
    // The upsert is a command of the task completed just before it; that task's scheduled event says which queue.
    const completed = events.slice(0, at).reverse().find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    const started = events.find((e) => String(e.eventId) === String(completed?.workflowTaskCompletedEventAttributes?.startedEventId));
    const scheduled = events.find((e) => String(e.eventId) === String(completed?.workflowTaskCompletedEventAttributes?.scheduledEventId));
    const kind = scheduled?.workflowTaskScheduledEventAttributes?.taskQueue?.kind;
    return {
      recordedMs: tsToMs(upsert.eventTime) - since,
      replayed: kind !== temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY,
      taskMs: started?.eventTime && completed?.eventTime ? tsToMs(completed.eventTime) - tsToMs(started.eventTime) : 0,
    };
  });
  return tasks.sort((a, b) => a.recordedMs - b.recordedMs);
}

/** VmRSS of the dev server listening on `port` (found by its command line). */
function serverRssBytes(port: number): number {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmdline: string[];
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (cmdline[0] !== TEMPORAL_BIN || !cmdline.includes('start-dev')) continue;
    if (cmdline[cmdline.indexOf('--port') + 1] !== String(port)) continue;
    const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  }
  throw new Error(`no temporal process on port ${port}`);
}

interface Measured {
  load: { start: number; end: number };
  startAllMs: number;
  readyMs: number;
  workerRss: number;
  workerHeap: number;
  serverRss: number;
  fanOutSentMs: number;
  /** Per workflow, sorted: milliseconds from the first signal sent until its state had the advisory. */
  recorded: number[];
  signalTasks: SignalTask[];
  fanOutSettledMs: number;
  fanOutCycleEvents: number;
  workerRssAfter: number;
  serverRssAfter: number;
  cycleEvents: number[];
  cycleMs: number[];
  maxRunEvents: number;
  runs: number;
}

export async function scaleBench(): Promise<BenchSection> {
  const temporal = await startTemporal();
  const port = Number(temporal.address.split(':')[1]);
  const upstream = new FakeUpstream();
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  } catch {
    // An earlier bench in this process created the runtime already; its logger stays.
  }
  const config = parseConfig({ TEMPORAL_ADDRESS: temporal.address, TEMPERED_STATE_DIR: '/nonexistent' });
  const native = await NativeConnection.connect({ address: temporal.address });
  const bundle = await workflowBundle();
  const activities = upstream.activities();
  // The production worker options (workers/run.ts): workflows and light activities on one queue, builds on the other.
  const workers = [
    await Worker.create({
      connection: native, taskQueue: config.temporal.orchestrationQueue, workflowBundle: bundle, activities, ...ORCHESTRATION_TUNING, shutdownGraceTime: '1 second',
      maxCachedWorkflows: MAX_CACHED,
    }),
    await Worker.create({ connection: native, taskQueue: config.temporal.buildQueue, activities, maxConcurrentActivityTaskExecutions: config.buildConcurrency, shutdownGraceTime: '1 second' }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  try {
    return section(await measure(client, config, upstream, port));
  } finally {
    for (const w of workers) w.shutdown();
    await running;
    await native.close();
    await connection.close();
    await temporal.stop();
  }
}

async function measure(client: Client, config: ReturnType<typeof parseConfig>, upstream: FakeUpstream, port: number): Promise<Measured> {
  const images = Array.from({ length: IMAGES }, (_, i) => imageOf(i + 1));
  // Other work on the machine competes for its cores: the load average goes into the report beside the figures.
  const loadAtStart = os.loadavg()[0] as number;

  // 1. Start them all; each builds and publishes once (fake stages: instant) and then idles in a fresh run.
  const t0 = Date.now();
  await mapLimit(images, IN_FLIGHT, (image) => ensureImageWorkflow(client, config, image));
  const startAllMs = Date.now() - t0;
  await countReaches(client, `ExecutionStatus = 'Running' AND PatchPhase = 'idle' AND PublishedDigest STARTS_WITH 'sha256:'`, IMAGES, t0, 30 * 60_000);
  await sharedQueueDrained(client, config.temporal.orchestrationQueue, 30 * 60_000);
  const readyMs = Date.now() - t0;
  await sleep(5_000);
  const idle = { workerRss: process.memoryUsage().rss, workerHeap: process.memoryUsage().heapUsed, serverRss: serverRssBytes(port) };

  // 2. One advisory to all of them (no fix yet: each queues it, announces it, and after the debounce runs a
  // cycle that resolves and waits for the fix). Nothing polls the workflows meanwhile (queries and visibility
  // counts are work for the same two cores); when each took it into its state is read from the histories after.
  const t1 = Date.now();
  await mapLimit(images, IN_FLIGHT, (image) => signalAdvisory(client, config, image, { id: ADVISORY, source: 'openssl', severity: 'high' }));
  const fanOutSentMs = Date.now() - t1;
  const fanOutSettledMs = await countReaches(client, `ExecutionStatus = 'Running' AND PatchPhase = 'waiting-for-fix'`, IMAGES, t1, 20 * 60_000, 2_000);
  const tasks = await signalTasks(client, ADVISORY, IMAGES, t1);
  const recorded = tasks.map((t) => t.recordedMs);
  const fanOutCycleEvents = await newestCompletedRunEvents(client, `image:${(images[0] as ImageRef).name}:bookworm:runtime`);
  await sleep(5_000);
  const workerRssAfter = process.memoryUsage().rss;
  const serverRssAfter = serverRssBytes(port);

  // 3. 100 plain patch cycles of one image: a fixed advisory whose fix the archive offers, debounce 0.
  const one: ImageRef = { kind: 'catalog', name: 'scale-cycles', release: 'bookworm', variant: 'runtime' };
  const id = 'image:scale-cycles:bookworm:runtime';
  await ensureImageWorkflow(client, config, one, { debounceSeconds: 0 });
  await waitForState(client, id, (s) => !!s.published && s.phase === 'idle', 120_000);
  const cycleMs: number[] = [];
  for (let i = 1; i <= CYCLES; i++) {
    upstream.versions.zlib = `1:1.3.${i}.dfsg-1`;
    const advisory = `CVE-2099-${String(1000 + i)}`;
    const started = Date.now();
    await signalAdvisory(client, config, one, { id: advisory, source: 'zlib', fixedVersion: upstream.versions.zlib, severity: 'high' });
    await waitForState(client, id, (s) => s.phase === 'idle' && s.handled.some((h) => h.advisory.id === advisory), 120_000);
    cycleMs.push(Date.now() - started);
  }
  const runEvents = await allRunEvents(client, id);
  // Run 1 is the initial build; the last is the idle run waiting for the next advisory; each one between is one cycle.
  const cycleEvents = runEvents.slice(1, -1);
  return {
    load: { start: loadAtStart, end: os.loadavg()[0] as number },
    startAllMs, readyMs, ...idle, fanOutSentMs, recorded, signalTasks: tasks, fanOutSettledMs, fanOutCycleEvents, workerRssAfter, serverRssAfter,
    cycleEvents, cycleMs, maxRunEvents: Math.max(...runEvents), runs: runEvents.length,
  };
}

/** History length of every run of `workflowId`, oldest first: closed runs from visibility, the running one (still growing) from its history. */
async function allRunEvents(client: Client, workflowId: string): Promise<number[]> {
  return Promise.all((await listRuns(client, workflowId)).map(async (run) => (run.status !== 'RUNNING' && run.historyLength
    ? run.historyLength
    : ((await fetchRunHistory(client, workflowId, run.runId)).events?.length ?? 0))));
}

/** Events of the newest closed run (the fan-out cycle: resolve, then waiting for the fix). */
async function newestCompletedRunEvents(client: Client, workflowId: string): Promise<number> {
  const lengths = await allRunEvents(client, workflowId);
  return lengths.at(-2) ?? 0;
}

/** What the sticky cache size trades: how many signal tasks replayed their run, and the worker's time on a task with and without. */
function replayRows(tasks: readonly SignalTask[]): string[][] {
  const replayed = tasks.filter((t) => t.replayed);
  const cached = tasks.filter((t) => !t.replayed);
  const msOf = (list: readonly SignalTask[]) => (list.length ? `${Math.round(median(list.map((t) => t.taskMs)))} ms` : '-');
  return [
    ['... signal tasks replayed (workflow out of the cache) / from the cache', `${replayed.length} / ${cached.length}`, ''],
    ['... worker time on a signal task (started -> completed), median: replayed / cached', `${msOf(replayed)} / ${msOf(cached)}`, ''],
  ];
}

function section(m: Measured): BenchSection {
  const mib = (b: number) => `${Math.round(b / MiB)} MiB`;
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const perCycleMax = Math.max(...m.cycleEvents);
  const fanOutMs = m.recorded.at(-1) as number;
  const rows = [
    ['image workflows started', `${IMAGES}`, ''],
    [`time to start all (${IN_FLIGHT} start calls in flight)`, seconds(m.startAllMs), ''],
    ['time until all published and idle (first cycle each)', seconds(m.readyMs), ''],
    ['worker RSS, all idle', mib(m.workerRss), `< ${TARGETS.workerRssMiB} MiB: ${verdict(m.workerRss < TARGETS.workerRssMiB * MiB)}`],
    ['worker JS heap used, all idle', mib(m.workerHeap), ''],
    ['server RSS (temporal dev server), all idle', mib(m.serverRss), ''],
    [`one advisory to all ${IMAGES}: signals accepted`, seconds(m.fanOutSentMs), ''],
    [`... every workflow has it in state (its history: the task that took the signal recorded it)`, seconds(fanOutMs), `< ${TARGETS.fanOutSeconds} s: ${verdict(fanOutMs < TARGETS.fanOutSeconds * 1000)}`],
    ['... half of them had it by', seconds(median(m.recorded)), ''],
    ...replayRows(m.signalTasks),
    [`... every workflow has run its cycle and waits for the fix`, seconds(m.fanOutSettledMs), 'includes the 10 s debounce'],
    ['history of that cycle (resolve only, then waiting-for-fix)', `${m.fanOutCycleEvents} events`, ''],
    ['worker / server RSS after the fan-out', `${mib(m.workerRssAfter)} / ${mib(m.serverRssAfter)}`, ''],
    [`plain patch cycle (advisory -> resolve, build, test, scan, sign, publish), ${m.cycleEvents.length} cycles`, `${median(m.cycleEvents)} events median, ${perCycleMax} max`, `<= ${TARGETS.eventsPerCycle}: ${verdict(perCycleMax <= TARGETS.eventsPerCycle)}`],
    ['time per plain cycle (signal -> handled), median', seconds(median(m.cycleMs)), ''],
    [`longest run across ${m.runs} runs of that image`, `${m.maxRunEvents} events`, `< ${TARGETS.eventsPerRun}: ${verdict(m.maxRunEvents < TARGETS.eventsPerRun)}`],
  ];
  return {
    id: 'scale',
    title: `Scale: ${IMAGES.toLocaleString('en')} idle image workflows, one advisory to all, history per cycle`,
    markdown: [
      `${machineLine()}; 1-minute load average ${m.load.start.toFixed(1)} at the start, ${m.load.end.toFixed(1)} at the end (other work on the machine shares its cores).`,
      `Fresh in-memory dev server; real workflow code and production worker options (sticky cache ${MAX_CACHED.toLocaleString('en')} workflows); stage activities are in-memory doubles, so this measures orchestration only. Worker RSS is the bench process (both workers, their workflow cache, the client), as it stands: no forced GC.`,
      '',
      '| measure | value | target |',
      '| --- | --- | --- |',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n'),
  };
}
