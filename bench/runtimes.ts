/**
 * The same CLI and worker on Node.js 24 (what the scripts run) and on the
 * machine's Node.js 20 (the peer: what ran before), alternating in one
 * sitting: `tempered --help`, `tempered doctor` against a dev server with
 * workers polling, and a worker process from start to "workers running",
 * with its resident memory then.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../domain/config';
import { cliEnv } from '../test/support/cli';
import { startTemporal } from '../test/support/temporal';
import { type BenchSection, machineLine, median } from './report';

const ROUNDS = 7;
const PEER_NODE = '/usr/bin/node';

interface Figures {
  helpMs: number[];
  doctorMs: number[];
  workerReadyMs: number[];
  workerRssMiB: number[];
}

/** `okCodes`: doctor exits 1 on purpose when it runs on an end-of-life Node (the peer). */
function timeCommand(node: string, args: string[], env: Record<string, string>, okCodes = [0]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(node, args, { env: { PATH: process.env.PATH ?? '', HOME: '/root', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (!okCodes.includes(r.status ?? -1)) throw new Error(`${node} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Starts a worker process, returns the time until it says it is running and its RSS then; stops it. */
async function timeWorker(node: string, root: string, env: Record<string, string>): Promise<{ ms: number; rssMiB: number }> {
  const started = Date.now();
  const child = spawn(node, [path.join(root, 'dist/workers/main.js')], { env: { PATH: process.env.PATH ?? '', HOME: '/root', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('workers running')) resolve(Date.now() - started);
    });
    child.once('exit', (code) => reject(new Error(`worker on ${node} exited ${code}: ${output.slice(-500)}`)));
  });
  try {
    const ms = await ready;
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;
    return { ms, rssMiB: rss };
  } finally {
    child.removeAllListeners('exit');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

export async function runtimesBench(root: string): Promise<BenchSection> {
  if (!fs.existsSync(PEER_NODE)) throw new Error(`the peer runtime ${PEER_NODE} is missing`);
  const peerVersion = spawnSync(PEER_NODE, ['--version']).stdout.toString().trim();
  const temporal = await startTemporal();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-bench-runtimes-'));
  const env = cliEnv(parseConfig({ TEMPORAL_ADDRESS: temporal.address, TEMPERED_STATE_DIR: stateDir }));
  const cli = path.join(root, 'dist/cli/main.js');
  const runtimes = { [process.version]: process.execPath, [peerVersion]: PEER_NODE };
  const figures: Record<string, Figures> = Object.fromEntries(Object.keys(runtimes).map((v) => [v, { helpMs: [], doctorMs: [], workerReadyMs: [], workerRssMiB: [] }]));
  // One worker polls throughout, so doctor has pollers to describe.
  const background = await timeWorker(process.execPath, root, env).then(() => spawn(process.execPath, [path.join(root, 'dist/workers/main.js')], { env: { PATH: process.env.PATH ?? '', HOME: '/root', ...env }, stdio: 'ignore' }));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [version, node] of Object.entries(runtimes)) {
        const f = figures[version] as Figures;
        f.helpMs.push(timeCommand(node, [cli, '--help'], env));
        f.doctorMs.push(timeCommand(node, [cli, 'doctor', '--json'], env, [0, 1]));
        const w = await timeWorker(node, root, env);
        f.workerReadyMs.push(w.ms);
        f.workerRssMiB.push(w.rssMiB);
      }
    }
  } finally {
    background.kill('SIGTERM');
    await temporal.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
  const [ours, peer] = [figures[process.version] as Figures, figures[peerVersion] as Figures];
  const row = (label: string, pick: (f: Figures) => number[], unit: string, digits = 0) => {
    const [a, b] = [median(pick(ours)), median(pick(peer))];
    return `| ${label} | ${a.toFixed(digits)} ${unit} | ${b.toFixed(digits)} ${unit} | ${(a / b).toFixed(2)}x |`;
  };
  return {
    id: 'runtimes',
    title: `Node.js ${process.version} (scripts) against ${peerVersion} (the machine's, end of life): CLI and worker`,
    markdown: [
      `${machineLine()}. Medians of ${ROUNDS} rounds, the two runtimes alternating; the same compiled code (dist/), the same dev server.`,
      '',
      `| figure | Node ${process.version} | Node ${peerVersion} | ratio |`,
      '| --- | --- | --- | --- |',
      row('`tempered --help`', (f) => f.helpMs, 'ms'),
      row('`tempered doctor --json` (server and 2 pollers)', (f) => f.doctorMs, 'ms'),
      row('worker process start -> "workers running"', (f) => f.workerReadyMs, 'ms'),
      row('worker RSS when running (idle)', (f) => f.workerRssMiB, 'MiB', 1),
    ].join('\n'),
  };
}
