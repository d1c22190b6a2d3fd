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
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { ensureImageWorkflow, signalAdvisory } from '../client/imageWorkflows';
import { parseConfig } from '../domain/config';
import type { ImageRef } from '../domain/image';
import type { PatchState } from '../domain/patch/state';
import { stateQuery } from '../workflows/messages';
import { workflowBundle } from '../test/support/bundle';
import { startTemporal, TEMPORAL_BIN } from '../test/support/temporal';
import { waitForState } from '../test/support/wait';
import { FakeUpstream } from '../test/workflow/fakeStages';
import { type BenchSection, machineLine, median, seconds } from './report';

const IMAGES = Number(process.env.SCALE_IMAGES ?? 1000);
const CYCLES = Number(process.env.SCALE_CYCLES ?? 100);
const IN_FLIGHT = 50;
/** The worker's sticky cache size; unset = the SDK default, as the production worker runs (workers/run.ts). */
const MAX_CACHED = process.env.SCALE_MAX_CACHED ? Number(process.env.SCALE_MAX_CACHED) : undefined;
const ADVISORY = 'CVE-2099-0042';
const TARGETS = { workerRssMiB: 1024, fanOutSeconds: 30, eventsPerCycle: 60, eventsPerRun: 2000 };

const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const imageOf = (i: number): ImageRef => ({ kind: 'catalog', name: `scale-${String(i).padStart(4, '0')}`, variant: 'runtime' });

/** Runs `task` over `items` with at most `inFlight` at once. */
async function pool<T>(items: T[], inFlight: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let k = next++; k < items.length; k = next++) await task(items[k] as T);
  }));
}

/** Polls a visibility count until it reaches `want`; returns the milliseconds it took from `since`. */
async function countReaches(client: Client, query: string, want: number, since: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count >= want) return Date.now() - since;
    if (Date.now() > deadline) throw new Error(`${query}: ${count}/${want} after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
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
  fanOutVisibleMs: number;
  fanOutSampledMs: number;
  fanOutSampled: number;
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
      connection: native, taskQueue: config.temporal.orchestrationQueue, workflowBundle: bundle, activities, maxConcurrentActivityTaskExecutions: 20, shutdownGraceTime: '1 second',
      ...(MAX_CACHED === undefined ? {} : { maxCachedWorkflows: MAX_CACHED }),
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
  await pool(images, IN_FLIGHT, (image) => ensureImageWorkflow(client, config, image));
  const startAllMs = Date.now() - t0;
  const readyMs = await countReaches(client, `ExecutionStatus = 'Running' AND PatchPhase = 'idle' AND PublishedDigest STARTS_WITH 'sha256:'`, IMAGES, t0, 30 * 60_000);
  await sleep(5_000);
  const idle = { workerRss: process.memoryUsage().rss, workerHeap: process.memoryUsage().heapUsed, serverRss: serverRssBytes(port) };

  // 2. One advisory to all of them (no fix yet: each queues it, announces it, and later waits for the fix).
  // "Has it in state" two ways: the PendingAdvisories count (upserted by the very workflow task that queues the
  // advisory; visibility may lag it a little), and the state query of 50 workflows spread over the range.
  const sample = images.filter((_, i) => i % Math.ceil(IMAGES / 50) === 0);
  const hasIt = (s: PatchState) => s.pending.some((a) => a.id === ADVISORY) || s.waiting.some((w) => w.advisory.id === ADVISORY) || s.cycles.some((c) => c.reasons.some((r) => r.kind === 'advisories' && r.ids.includes(ADVISORY)));
  const t1 = Date.now();
  const sampled = (async () => {
    const left = new Set(sample.map((image) => `image:${image.name}:runtime`));
    while (left.size) {
      // A busy worker answers queries late or not at all ("query timed out"): that one is asked again next round.
      // Gently (5 at a time, a round every 2 s): every query is a task for the same worker that handles the
      // signals, and 50 of them four times a second slowed the very fan-out this measures.
      await pool([...left], 5, async (id) => {
        const state = await client.workflow.getHandle(id).query(stateQuery).catch(() => undefined);
        if (state && hasIt(state)) left.delete(id);
      });
      if (left.size) await sleep(2_000);
    }
    return Date.now() - t1;
  })();
  await pool(images, IN_FLIGHT, (image) => signalAdvisory(client, config, image, { id: ADVISORY, source: 'openssl', severity: 'high' }));
  const fanOutSentMs = Date.now() - t1;
  const fanOutVisibleMs = await countReaches(client, `ExecutionStatus = 'Running' AND PendingAdvisories = '${ADVISORY}'`, IMAGES, t1, 20 * 60_000);
  const fanOutSampledMs = await sampled;
  const fanOutSampled = sample.length;
  const fanOutSettledMs = await countReaches(client, `ExecutionStatus = 'Running' AND PatchPhase = 'waiting-for-fix'`, IMAGES, t1, 20 * 60_000);
  const fanOutCycleEvents = await newestCompletedRunEvents(client, `image:${(images[0] as ImageRef).name}:runtime`);
  await sleep(5_000);
  const workerRssAfter = process.memoryUsage().rss;
  const serverRssAfter = serverRssBytes(port);

  // 3. 100 plain patch cycles of one image: a fixed advisory whose fix the archive offers, debounce 0.
  const one: ImageRef = { kind: 'catalog', name: 'scale-cycles', variant: 'runtime' };
  const id = 'image:scale-cycles:runtime';
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
    startAllMs, readyMs, ...idle, fanOutSentMs, fanOutVisibleMs, fanOutSampledMs, fanOutSampled, fanOutSettledMs, fanOutCycleEvents, workerRssAfter, serverRssAfter,
    cycleEvents, cycleMs, maxRunEvents: Math.max(...runEvents), runs: runEvents.length,
  };
}

/** History length of every run of `workflowId`, oldest first. */
async function allRunEvents(client: Client, workflowId: string): Promise<number[]> {
  const runs: { runId: string; start: number }[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push({ runId: info.runId, start: info.startTime.getTime() });
  runs.sort((a, b) => a.start - b.start);
  const lengths: number[] = [];
  for (const run of runs) lengths.push((await client.workflow.getHandle(workflowId, run.runId).fetchHistory()).events?.length ?? 0);
  return lengths;
}

/** Events of the newest closed run (the fan-out cycle: resolve, then waiting for the fix). */
async function newestCompletedRunEvents(client: Client, workflowId: string): Promise<number> {
  const lengths = await allRunEvents(client, workflowId);
  return lengths.at(-2) ?? 0;
}

function section(m: Measured): BenchSection {
  const mib = (b: number) => `${Math.round(b / MiB)} MiB`;
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const perCycleMax = Math.max(...m.cycleEvents);
  const rows = [
    ['image workflows started', `${IMAGES}`, ''],
    [`time to start all (${IN_FLIGHT} start calls in flight)`, seconds(m.startAllMs), ''],
    ['time until all published and idle (first cycle each)', seconds(m.readyMs), ''],
    ['worker RSS, all idle', mib(m.workerRss), `< ${TARGETS.workerRssMiB} MiB: ${verdict(m.workerRss < TARGETS.workerRssMiB * MiB)}`],
    ['worker JS heap used, all idle', mib(m.workerHeap), ''],
    ['server RSS (temporal dev server), all idle', mib(m.serverRss), ''],
    [`one advisory to all ${IMAGES}: signals accepted`, seconds(m.fanOutSentMs), ''],
    [`... every workflow has it in state (PendingAdvisories = '${ADVISORY}' counts ${IMAGES})`, seconds(m.fanOutVisibleMs), `< ${TARGETS.fanOutSeconds} s: ${verdict(m.fanOutVisibleMs < TARGETS.fanOutSeconds * 1000)}`],
    [`... ${m.fanOutSampled} sampled workflows' state query shows it`, seconds(m.fanOutSampledMs), ''],
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
      `Fresh in-memory dev server; real workflow code and production worker options (sticky cache ${MAX_CACHED === undefined ? 'SDK default' : MAX_CACHED}); stage activities are in-memory doubles, so this measures orchestration only. Worker RSS is the bench process (both workers, their workflow cache, the client), as it stands: no forced GC.`,
      '',
      '| measure | value | target |',
      '| --- | --- | --- |',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n'),
  };
}
