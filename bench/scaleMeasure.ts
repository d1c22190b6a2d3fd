/**
 * One scale measurement (issue 8, issue 14), run by bench/scale.ts in a
 * process of its own so the worker's memory is this measurement's alone:
 * N image workflows started and idle on a fresh Temporal server, one advisory
 * fanned out to all of them, and the history a patch cycle costs over 100
 * cycles of one image.
 *
 * Real parts: a Temporal server (the dev server or the PostgreSQL cluster of
 * bench/scaleServers.ts, with the project's search attributes) and workers
 * running the real workflow code with the production worker options. The
 * stage activities are the in-memory doubles of test/workflow/fakeStages.ts:
 * this measures orchestration (Temporal and the workflow), not Docker;
 * advisory-to-publish measures the real stages.
 *
 * Usage: node --require tsx/cjs bench/scaleMeasure.ts dev-server|cluster IMAGES CYCLES OUT.json
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { mapLimit } from '../lib/process/pool';
import { listRuns } from '../client/imageHistory';
import { ensureImageWorkflow, signalAdvisory } from '../client/imageWorkflows';
import { onceKnown } from '../client/namespaceSetup';
import { parseConfig } from '../domain/config';
import type { ImageRef } from '../domain/image';
import { workflowBundle } from '../test/support/bundle';
import { until, waitForState } from '../test/support/wait';
import { FakeUpstream } from '../test/workflow/fakeStages';
import { ORCHESTRATION_TUNING } from '../workers/tuning';
import { fetchRunHistory } from '../client/runHistory';
import { type ScaleServer, type ScaleServerKind, startScaleServer } from './scaleServers';

export const IN_FLIGHT = 50;
const EventType = temporal.api.enums.v1.EventType;
/** The worker's sticky cache size: the production worker's (workers/tuning.ts) unless SCALE_MAX_CACHED says otherwise. */
export const MAX_CACHED = process.env.SCALE_MAX_CACHED ? Number(process.env.SCALE_MAX_CACHED) : ORCHESTRATION_TUNING.maxCachedWorkflows;
const ADVISORY = 'CVE-2099-0042';
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
export interface SignalTask {
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

export interface Measured {
  load: { start: number; end: number };
  startAllMs: number;
  readyMs: number;
  images: number;
  server: { kind: ScaleServerKind; description: string };
  workerRss: number;
  workerHeap: number;
  /** PSS of every server process (bench/scaleServers.ts). */
  serverMemory: number;
  fanOutSentMs: number;
  /** Per workflow, sorted: milliseconds from the first signal sent until its state had the advisory. */
  recorded: number[];
  signalTasks: SignalTask[];
  fanOutSettledMs: number;
  fanOutCycleEvents: number;
  workerRssAfter: number;
  serverMemoryAfter: number;
  cycleEvents: number[];
  cycleMs: number[];
  maxRunEvents: number;
  runs: number;
}

export async function measureScale(kind: ScaleServerKind, root: string, images: number, cycles: number): Promise<Measured> {
  const server = await startScaleServer(kind, root);
  try {
    return await measureOn(server, images, cycles);
  } finally {
    await server.stop();
  }
}

async function measureOn(server: ScaleServer, images: number, cycles: number): Promise<Measured> {
  const upstream = new FakeUpstream();
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const config = parseConfig({ TEMPORAL_ADDRESS: server.address, TEMPERED_STATE_DIR: '/nonexistent' });
  const native = await NativeConnection.connect({ address: server.address });
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
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  try {
    return await measure(client, config, upstream, server, images, cycles);
  } finally {
    for (const w of workers) w.shutdown();
    await running;
    await native.close();
    await connection.close();
  }
}

async function measure(client: Client, config: ReturnType<typeof parseConfig>, upstream: FakeUpstream, server: ScaleServer, count: number, cycles: number): Promise<Measured> {
  const images = Array.from({ length: count }, (_, i) => imageOf(i + 1));
  // Other work on the machine competes for its cores: the load average goes into the report beside the figures.
  const loadAtStart = os.loadavg()[0] as number;

  // 1. Start them all; each builds and publishes once (fake stages: instant) and then idles in a fresh run.
  const t0 = Date.now();
  // As `tempered up` does: the first start waits until the frontend knows the attributes just registered
  // (a real server refreshes its cache every few seconds; one of 50 starts in flight was refused INVALID_ARGUMENT).
  const [first, ...rest] = images as [ImageRef, ...ImageRef[]];
  await onceKnown(() => ensureImageWorkflow(client, config, first));
  await mapLimit(rest, IN_FLIGHT, (image) => ensureImageWorkflow(client, config, image));
  const startAllMs = Date.now() - t0;
  await countReaches(client, `ExecutionStatus = 'Running' AND PatchPhase = 'idle' AND PublishedDigest STARTS_WITH 'sha256:'`, count, t0, 30 * 60_000);
  await sharedQueueDrained(client, config.temporal.orchestrationQueue, 30 * 60_000);
  const readyMs = Date.now() - t0;
  await sleep(5_000);
  const idle = { workerRss: process.memoryUsage().rss, workerHeap: process.memoryUsage().heapUsed, serverMemory: server.memoryBytes() };

  // 2. One advisory to all of them (no fix yet: each queues it, announces it, and after the debounce runs a
  // cycle that resolves and waits for the fix). Nothing polls the workflows meanwhile (queries and visibility
  // counts are work for the same two cores); when each took it into its state is read from the histories after.
  const t1 = Date.now();
  await mapLimit(images, IN_FLIGHT, (image) => signalAdvisory(client, config, image, { id: ADVISORY, source: 'openssl', severity: 'high' }));
  const fanOutSentMs = Date.now() - t1;
  const fanOutSettledMs = await countReaches(client, `ExecutionStatus = 'Running' AND PatchPhase = 'waiting-for-fix'`, count, t1, 20 * 60_000, 2_000);
  const tasks = await signalTasks(client, ADVISORY, count, t1);
  const recorded = tasks.map((t) => t.recordedMs);
  const fanOutCycleEvents = await newestCompletedRunEvents(client, `image:${(images[0] as ImageRef).name}:bookworm:runtime`);
  await sleep(5_000);
  const workerRssAfter = process.memoryUsage().rss;
  const serverMemoryAfter = server.memoryBytes();

  // 3. 100 plain patch cycles of one image: a fixed advisory whose fix the archive offers, debounce 0.
  const one: ImageRef = { kind: 'catalog', name: 'scale-cycles', release: 'bookworm', variant: 'runtime' };
  const id = 'image:scale-cycles:bookworm:runtime';
  await ensureImageWorkflow(client, config, one, { debounceSeconds: 0 });
  await waitForState(client, id, (s) => !!s.published && s.phase === 'idle', 120_000);
  const cycleMs: number[] = [];
  for (let i = 1; i <= cycles; i++) {
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
    images: count, server: { kind: server.kind, description: server.description },
    startAllMs, readyMs, ...idle, fanOutSentMs, recorded, signalTasks: tasks, fanOutSettledMs, fanOutCycleEvents, workerRssAfter, serverMemoryAfter,
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


if (require.main === module) {
  const [kind, images, cycles, out] = process.argv.slice(2);
  if ((kind !== 'dev-server' && kind !== 'cluster') || !Number(images) || !Number(cycles) || !out) {
    console.error('usage: scaleMeasure.ts dev-server|cluster IMAGES CYCLES OUT.json');
    process.exit(2);
  }
  measureScale(kind, path.resolve(__dirname, '..'), Number(images), Number(cycles)).then(
    (m) => {
      fs.writeFileSync(out, JSON.stringify(m));
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
