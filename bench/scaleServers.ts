/**
 * The Temporal servers the scale bench runs against: the embedded dev server
 * (one process, SQLite in memory) and the cluster shape of `scripts/cluster
 * server` (frontend, history, matching and worker as four processes on
 * PostgreSQL 15), each started fresh on its own ports and stopped after.
 *
 * Memory is PSS (proportional set size) summed over the server's processes:
 * PostgreSQL's backends share its buffers, so their RSS would count the same
 * pages once per backend; PSS divides each shared page among its sharers.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { ensureNamespaceSetup } from '../client/namespaceSetup';
import { clusterFrontendPort, freePort } from '../test/support/ports';
import { startTemporal, TEMPORAL_BIN } from '../test/support/temporal';

export type ScaleServerKind = 'dev-server' | 'cluster';

export interface ScaleServer {
  kind: ScaleServerKind;
  address: string;
  /** What it is, for the report. */
  description: string;
  /** PSS of every process of the server, in bytes. */
  memoryBytes(): number;
  stop(): Promise<void>;
}

const run = promisify(execFile);

function pssBytes(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0; // exited meanwhile (a PostgreSQL backend whose connection closed)
  }
}

function processes(): { pid: number; ppid: number; cmdline: string[] }[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return [{ pid: Number(p), ppid, cmdline: fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0') }];
    } catch {
      return [];
    }
  });
}

export async function startScaleServer(kind: ScaleServerKind, root: string): Promise<ScaleServer> {
  return kind === 'dev-server' ? devServer() : clusterServer(root);
}

async function devServer(): Promise<ScaleServer> {
  const temporal = await startTemporal();
  const port = temporal.address.split(':')[1];
  const pid = processes().find((p) => p.cmdline[0] === TEMPORAL_BIN && p.cmdline.includes('start-dev') && p.cmdline[p.cmdline.indexOf('--port') + 1] === port)?.pid;
  if (!pid) throw new Error(`no temporal dev server process on port ${port}`);
  return {
    kind: 'dev-server', address: temporal.address, description: 'temporal CLI dev server, one process, SQLite in memory',
    memoryBytes: () => pssBytes(pid),
    stop: () => temporal.stop(),
  };
}

async function clusterServer(root: string): Promise<ScaleServer> {
  // Searchable by others: PostgreSQL runs as the postgres user, under it.
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-scale-cluster-'));
  fs.chmodSync(stateDir, 0o755);
  const clusterDir = path.join(stateDir, 'cluster');
  const address = `127.0.0.1:${await clusterFrontendPort()}`;
  const env = { ...process.env, TEMPERED_STATE_DIR: stateDir, TEMPORAL_ADDRESS: address, TEMPERED_CLUSTER_PG_PORT: String(await freePort()) };
  const script = path.join(root, 'scripts', 'cluster');
  const stop = async () => {
    await run(script, ['down'], { env, maxBuffer: 16 * 2 ** 20 });
    fs.rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await run(script, ['server'], { env, maxBuffer: 16 * 2 ** 20 });
    const connection = await Connection.connect({ address });
    try {
      await ensureNamespaceSetup(new Client({ connection }), 'default');
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  const pids = () => {
    const servers = fs.readdirSync(path.join(clusterDir, 'run')).filter((f) => f.startsWith('temporal-')).map((f) => Number(fs.readFileSync(path.join(clusterDir, 'run', f), 'utf8').split(' ')[0]));
    const postmaster = Number(fs.readFileSync(path.join(clusterDir, 'postgresql', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return [...servers, postmaster, ...processes().filter((p) => p.ppid === postmaster).map((p) => p.pid)];
  };
  return {
    kind: 'cluster', address, description: 'Temporal server as four processes (frontend, history, matching, worker) on PostgreSQL',
    memoryBytes: () => pids().reduce((sum, pid) => sum + pssBytes(pid), 0),
    stop,
  };
}
