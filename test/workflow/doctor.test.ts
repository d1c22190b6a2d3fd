/**
 * `tempered doctor` reads the runtimes from the server alone: the dev
 * server's version, and every worker polling tempered's queues with the
 * Node.js version in its identity. A real worker process (dist/workers, as
 * scripts/up starts it) runs on this suite's Node; a second worker that
 * announces Node 20 stands for a forgotten old machine and must be flagged.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { parseConfig } from '../../domain/config';
import { workerIdentity } from '../../domain/runtime/nodeReleases';
import { cliEnv, runCli } from '../support/cli';
import { startTemporal, type TestTemporal } from '../support/temporal';
import { until } from '../support/wait';
import { startWorkerProcess, type WorkerProcess } from '../support/workerProcess';

jest.setTimeout(120_000);

let server: TestTemporal;
let worker: WorkerProcess;
let stateDir: string;
const config = () => parseConfig({ TEMPORAL_ADDRESS: server.address, TEMPERED_STATE_DIR: stateDir });

interface DoctorReport {
  server: { version: string };
  cli: { node: string; support: { status: string } };
  workers: { role?: string; node?: string; taskQueues: string[]; support: { status: string } }[];
  endOfLife: number;
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-doctor-'));
  server = await startTemporal();
  worker = await startWorkerProcess(config(), path.join(stateDir, 'worker.log'));
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await server?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

async function doctor(): Promise<{ code: number; report: DoctorReport }> {
  const result = await runCli(['doctor', '--json'], cliEnv(config()));
  return { code: result.code, report: JSON.parse(result.stdout) as DoctorReport };
}

test('reports the server version and each worker process with the Node.js it runs on', async () => {
  // A poller shows up in DescribeTaskQueue once it has polled: wait for both roles.
  const { code, report } = await until('both worker roles polling', async () => {
    const r = await doctor();
    if (new Set(r.report.workers.map((w) => w.role)).size < 2) throw new Error(`workers so far: ${JSON.stringify(r.report.workers)}`);
    return r;
  }, 30_000);
  expect(code).toBe(0);
  expect(report.server.version).toMatch(/^\d+\.\d+\.\d+/);
  expect(report.cli.node).toBe(process.version);
  expect(process.version).toMatch(/^v24\./);
  const byRole = Object.fromEntries(report.workers.map((w) => [w.role, w]));
  expect(byRole.orchestration).toMatchObject({ node: process.version, support: { status: 'supported' } });
  expect(byRole.build).toMatchObject({ node: process.version, support: { status: 'supported' }, taskQueues: [config().temporal.buildQueue] });
  expect(report.endOfLife).toBe(0);
});

test('flags a worker on an end-of-life Node.js and exits 1', async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const connection = await NativeConnection.connect({ address: server.address });
  const old = await Worker.create({
    connection,
    taskQueue: config().temporal.buildQueue,
    identity: workerIdentity('build', 1, 'forgotten-host', 'v20.20.2'),
    activities: { noop: async () => undefined },
  });
  const running = old.run();
  try {
    const { code, report } = await until('the Node 20 worker polling', async () => {
      const r = await doctor();
      return r.report.workers.some((w) => w.node === 'v20.20.2') ? r : undefined;
    }, 30_000);
    expect(code).toBe(1);
    expect(report.endOfLife).toBe(1);
    expect(report.workers.find((w) => w.node === 'v20.20.2')?.support).toEqual({ status: 'end-of-life', since: '2026-04-30' });
    const table = await runCli(['doctor'], cliEnv(config()));
    expect(table.stdout).toMatch(/forgotten-host[\s\S]*END OF LIFE since 2026-04-30/);
  } finally {
    old.shutdown();
    await running;
    await connection.close();
  }
});
