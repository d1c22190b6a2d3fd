/**
 * How far one machine goes (issue 8), and the cluster beside the dev server
 * (issue 14). Each measurement (bench/scaleMeasure.ts) runs in a process of
 * its own, one after the other, so neither's worker memory or load is the
 * other's: `scale` is the dev server at SCALE_IMAGES (10,000), `scale-cluster`
 * the dev server and the PostgreSQL cluster at SCALE_CLUSTER_IMAGES (1,000)
 * in the same run.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { type BenchSection, machineLine, median, seconds } from './report';
import { IN_FLIGHT, MAX_CACHED, type Measured, type SignalTask } from './scaleMeasure';
import type { ScaleServerKind } from './scaleServers';

const IMAGES = Number(process.env.SCALE_IMAGES ?? 10_000);
const CLUSTER_IMAGES = Number(process.env.SCALE_CLUSTER_IMAGES ?? 1_000);
const CYCLES = Number(process.env.SCALE_CYCLES ?? 100);
const TARGETS = { workerRssMiB: 1536, fanOutSeconds: 60, eventsPerCycle: 60, eventsPerRun: 2000 };
const MiB = 2 ** 20;

/** Runs one measurement in a child process (its progress on this one's stderr) and reads its result. */
async function measured(root: string, kind: ScaleServerKind, images: number): Promise<Measured> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-scale-')), 'measured.json');
  try {
    const child = promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', path.join(root, 'bench', 'scaleMeasure.ts'), kind, String(images), String(CYCLES), out], { cwd: root, maxBuffer: 64 * MiB });
    child.child.stderr?.pipe(process.stderr);
    await child;
    return JSON.parse(fs.readFileSync(out, 'utf8')) as Measured;
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

export async function scaleBench(root: string): Promise<BenchSection> {
  const m = await measured(root, 'dev-server', IMAGES);
  return {
    id: 'scale',
    title: `Scale: ${IMAGES.toLocaleString('en')} idle image workflows, one advisory to all, history per cycle`,
    markdown: [
      `${machineLine()}; ${loadLine(m)}.`,
      `Fresh in-memory dev server; real workflow code and production worker options (sticky cache ${MAX_CACHED.toLocaleString('en')} workflows); stage activities are in-memory doubles, so this measures orchestration only. Worker RSS is the measuring process (both workers, their workflow cache, the client), as it stands: no forced GC. Server memory is the PSS of the server's processes.`,
      '',
      '| measure | value | target |',
      '| --- | --- | --- |',
      ...rows(m).map((r) => `| ${r.label} | ${r.value} | ${r.target} |`),
    ].join('\n'),
  };
}

export async function scaleClusterBench(root: string): Promise<BenchSection> {
  const dev = await measured(root, 'dev-server', CLUSTER_IMAGES);
  const cluster = await measured(root, 'cluster', CLUSTER_IMAGES);
  const clusterRows = rows(cluster);
  return {
    id: 'scale-cluster',
    title: `Scale on the cluster: ${CLUSTER_IMAGES.toLocaleString('en')} image workflows on the dev server and on the PostgreSQL cluster, same run`,
    markdown: [
      `${machineLine()}; dev server ${loadLine(dev)}; cluster ${loadLine(cluster)}.`,
      `The same measurement against each server, one after the other, each in a fresh process with a fresh server: the dev server (${dev.server.description}) and the cluster of \`scripts/cluster server\` (${cluster.server.description}, all on this machine's two cores). Workers, options and in-memory stage doubles as in the 10,000 section. Server memory is the PSS summed over the server's processes (PostgreSQL's backends included).`,
      '',
      '| measure | dev server | cluster | target |',
      '| --- | --- | --- | --- |',
      ...rows(dev).map((r, i) => `| ${r.label} | ${r.value} | ${clusterRows[i]?.value} | ${r.target.replace(/: .*$/, '')} |`),
    ].join('\n'),
  };
}

const loadLine = (m: Measured) => `1-minute load average ${m.load.start.toFixed(1)} at the start, ${m.load.end.toFixed(1)} at the end`;

interface Row {
  label: string;
  value: string;
  /** The target and whether it was met (empty where there is none). */
  target: string;
}

/** What the sticky cache size trades: how many signal tasks replayed their run, and the worker's time on a task with and without. */
function replayRows(tasks: readonly SignalTask[]): [string, string, string][] {
  const replayed = tasks.filter((t) => t.replayed);
  const cached = tasks.filter((t) => !t.replayed);
  const msOf = (list: readonly SignalTask[]) => (list.length ? `${Math.round(median(list.map((t) => t.taskMs)))} ms` : '-');
  return [
    ['... signal tasks replayed (workflow out of the cache) / from the cache', `${replayed.length} / ${cached.length}`, ''],
    ['... worker time on a signal task (started -> completed), median: replayed / cached', `${msOf(replayed)} / ${msOf(cached)}`, ''],
  ];
}

function rows(m: Measured): Row[] {
  const mib = (b: number) => `${Math.round(b / MiB)} MiB`;
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const perCycleMax = Math.max(...m.cycleEvents);
  const fanOutMs = m.recorded.at(-1) as number;
  const none = '';
  const table: [string, string, string][] = [
    ['image workflows started', `${m.images}`, none],
    [`time to start all (${IN_FLIGHT} start calls in flight)`, seconds(m.startAllMs), none],
    ['time until all published and idle (first cycle each)', seconds(m.readyMs), none],
    ['worker RSS, all idle', mib(m.workerRss), `< ${TARGETS.workerRssMiB} MiB: ${verdict(m.workerRss < TARGETS.workerRssMiB * MiB)}`],
    ['worker JS heap used, all idle', mib(m.workerHeap), none],
    ['server memory (PSS of its processes), all idle', mib(m.serverMemory), none],
    [`one advisory to all ${m.images}: signals accepted`, seconds(m.fanOutSentMs), none],
    ['... every workflow has it in state (its history: the task that took the signal recorded it)', seconds(fanOutMs), `< ${TARGETS.fanOutSeconds} s: ${verdict(fanOutMs < TARGETS.fanOutSeconds * 1000)}`],
    ['... half of them had it by', seconds(median(m.recorded)), none],
    ...replayRows(m.signalTasks),
    ['... every workflow has run its cycle and waits for the fix', seconds(m.fanOutSettledMs), 'includes the 10 s debounce'],
    ['history of that cycle (resolve only, then waiting-for-fix)', `${m.fanOutCycleEvents} events`, none],
    ['worker RSS / server memory after the fan-out', `${mib(m.workerRssAfter)} / ${mib(m.serverMemoryAfter)}`, none],
    [`plain patch cycle (advisory -> resolve, build, test, scan, sign, publish), ${m.cycleEvents.length} cycles`, `${median(m.cycleEvents)} events median, ${perCycleMax} max`, `<= ${TARGETS.eventsPerCycle}: ${verdict(perCycleMax <= TARGETS.eventsPerCycle)}`],
    ['time per plain cycle (signal -> handled), median', seconds(median(m.cycleMs)), none],
    [`longest run across ${m.runs} runs of that image`, `${m.maxRunEvents} events`, `< ${TARGETS.eventsPerRun}: ${verdict(m.maxRunEvents < TARGETS.eventsPerRun)}`],
  ];
  return table.map(([label, value, target]) => ({ label, value, target }));
}
