/**
 * A whole tempered stack for one test file, with real parts only: a Temporal
 * dev server, a registry, the shared dockerd, and both workers running
 * in-process against a fresh state directory. Debs and archive indexes are
 * content-addressed, so they are shared between tests in /var/cache/tempered.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { initKeys } from '../../lib/signing/keys';
import { type Config, parseConfig } from '../../domain/config';
import { createWorkers } from '../../workers/run';
import { workflowBundle } from './bundle';
import { startRegistry, type TestRegistry } from './registry';
import { startTemporal, type TestTemporal } from './temporal';

export const SHARED_CACHE = process.env.TEMPERED_CACHE_ROOT ?? '/var/cache/tempered';

export interface Stack {
  config: Config;
  client: Client;
  temporal: TestTemporal;
  registry: TestRegistry;
  stateDir: string;
  /** Stops and restarts the in-process workers (e.g. after swapping the catalog). */
  restartWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Extra environment for the config (TEMPERED_CATALOG_DIR, TEMPERED_ARCHIVE, ...). */
  env?: Record<string, string>;
  workers?: boolean;
  temporal?: Parameters<typeof startTemporal>[0];
  /** E.g. `{ htpasswd }` for a registry with basic auth (the credentials then go in `env`). */
  registry?: Parameters<typeof startRegistry>[0];
}

let runtimeInstalled = false;

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
    runtimeInstalled = true;
  }
  const [temporal, registry] = await Promise.all([startTemporal(options.temporal), startRegistry(options.registry)]);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-state-'));
  const config = parseConfig({
    TEMPORAL_ADDRESS: temporal.address,
    TEMPERED_REGISTRY: registry.host,
    TEMPERED_STATE_DIR: stateDir,
    TEMPERED_DEB_CACHE: path.join(SHARED_CACHE, 'debs'),
    TEMPERED_ARCHIVE_CACHE: path.join(SHARED_CACHE, 'archive'),
    // amd64 unless a test asks for more (test/e2e/multiPlatform.test.ts): arm64 dev builds run under emulation, minutes each.
    TEMPERED_ARCHITECTURES: 'amd64',
    // scripts/test sets one per builder code: a deterministic build done by one test file is reused by the next.
    ...(process.env.TEMPERED_TEST_BUILD_CACHE ? { TEMPERED_BUILD_CACHE: process.env.TEMPERED_TEST_BUILD_CACHE } : {}),
    ...options.env,
  });
  initKeys(config.signingKeyPath);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });

  let native: NativeConnection | undefined;
  let workers: Worker[] = [];
  let running: Promise<unknown> = Promise.resolve();
  const startWorkers = async () => {
    native = await NativeConnection.connect({ address: temporal.address });
    workers = await createWorkers(['orchestration', 'build'], { config, connection: native, workflowBundle: await workflowBundle() });
    running = Promise.all(workers.map((w) => w.run()));
  };
  const stopWorkers = async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running.catch(() => undefined);
    workers = [];
    await native?.close();
    native = undefined;
  };
  if (options.workers !== false) await startWorkers();

  return {
    config,
    client,
    temporal,
    registry,
    stateDir,
    stopWorkers,
    restartWorkers: async () => {
      await stopWorkers();
      await startWorkers();
    },
    stop: async () => {
      await stopWorkers();
      await connection.close();
      await Promise.all([temporal.stop(), registry.stop()]);
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
