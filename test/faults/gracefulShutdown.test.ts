/**
 * Graceful worker shutdown, with the production worker setup in its own
 * process (workers/run.ts: signal handlers, grace times) and a slow stage
 * double, so the timing is ours and the test takes seconds:
 *  - SIGTERM while a build runs: the worker takes no new tasks, lets the
 *    build finish within the grace time, reports it and exits 0; a new
 *    worker carries the cycle on; the build ran once, as attempt 1;
 *  - a build longer than the grace time: it is cancelled at the end of the
 *    grace time, reported, and retried on the new worker as attempt 2; the
 *    cycle completes without on-call.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { type Config, parseConfig } from '../../domain/config';
import type { ImageRef } from '../../domain/image';
import { parseWorkerIdentity } from '../../domain/runtime/nodeReleases';
import { FAKE_STAGES_WORKER } from '../support/fakeStagesWorker';
import { activityRecords } from '../support/history';
import { startTemporal, type TestTemporal } from '../support/temporal';
import { until, waitForState } from '../support/wait';
import { startWorkerProcess, type WorkerProcess } from '../support/workerProcess';

jest.setTimeout(240_000);

let server: TestTemporal;
let client: Client;
let config: Config;
let dir: string;
const started: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startTemporal();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-graceful-'));
  config = parseConfig({ TEMPORAL_ADDRESS: server.address, TEMPERED_STATE_DIR: path.join(dir, 'state') });
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
});
afterAll(async () => {
  for (const w of started) await w.kill('SIGKILL');
  await client?.connection.close();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function worker(name: string, env: Record<string, string>): Promise<WorkerProcess> {
  const w = await startWorkerProcess(config, path.join(dir, `${name}.log`), { TEMPERED_FAKE_MARKS: dir, ...env }, FAKE_STAGES_WORKER);
  started.push(w);
  return w;
}

const marks = () => (fs.existsSync(path.join(dir, 'marks.log')) ? fs.readFileSync(path.join(dir, 'marks.log'), 'utf8').trim().split('\n') : []);

/** Waits (up to 60 s) until `probe` holds; the error lists the stage double's marks. */
const untilMarks = (what: string, probe: () => boolean) => until(() => `${what}; marks: ${marks().join(' | ')}`, probe, 60_000, 100);

const exited = (w: WorkerProcess) =>
  new Promise<{ code: number | null; ms: number }>((resolve) => {
    const t0 = Date.now();
    if (w.child.exitCode !== null) resolve({ code: w.child.exitCode, ms: 0 });
    else w.child.once('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
  });

test('SIGTERM during a build: it finishes within the grace time, once, and the cycle completes on the next worker', async () => {
  fs.rmSync(path.join(dir, 'marks.log'), { force: true });
  const image: ImageRef = { kind: 'catalog', name: 'graceful', release: 'bookworm', variant: 'runtime' };
  // The production grace time of the build queue (5 minutes) by far covers a 6 s build.
  const first = await worker('first', { TEMPERED_FAKE_SLOW: 'buildImage=6000' });
  await ensureImageWorkflow(client, config, image, { debounceSeconds: 0 });
  await untilMarks('the build to start', () => marks().some((m) => m.startsWith('started buildImage')));

  const t0 = Date.now();
  first.child.kill('SIGTERM');
  const second = await worker('second', {});
  const { code } = await exited(first);
  expect(code).toBe(0);
  expect(Date.now() - t0).toBeLessThan(30_000);
  expect(marks()).toEqual([`started buildImage attempt=1 pid=${first.child.pid}`, `finished buildImage attempt=1 pid=${first.child.pid}`]);
  expect(fs.readFileSync(path.join(dir, 'first.log'), 'utf8')).toMatch(/workers stopped/);

  const state = await waitForState(client, 'image:graceful:bookworm:runtime', (s) => !!s.published || s.phase === 'failed', 60_000);
  expect(state.failure).toBeUndefined();
  expect(state.cycles[0]).toMatchObject({ outcome: 'published' });
  // Only the last attempt's ActivityTaskStarted is in the history: attempt 1, from the first worker.
  const build = (await activityRecords(client, 'image:graceful:bookworm:runtime')).buildImage!;
  expect(build).toMatchObject({ scheduled: 1, attempts: [1], completed: 1 });
  expect(parseWorkerIdentity(build.identities[0] ?? '').process).toMatch(new RegExp(`^${first.child.pid}@`));
  await second.kill('SIGTERM');
});

test('a build longer than the grace time is cancelled at its end and retried cleanly on the next worker', async () => {
  fs.rmSync(path.join(dir, 'marks.log'), { force: true });
  const image: ImageRef = { kind: 'catalog', name: 'overdue', release: 'bookworm', variant: 'runtime' };
  const first = await worker('overdue-first', { TEMPERED_FAKE_SLOW: 'buildImage=60000', TEMPERED_FAKE_GRACE: '2 seconds' });
  await ensureImageWorkflow(client, config, image, { debounceSeconds: 0 });
  await untilMarks('the build to start', () => marks().some((m) => m.startsWith('started buildImage')));

  first.child.kill('SIGTERM');
  const { code, ms } = await exited(first);
  expect(code).toBe(0);
  expect(ms).toBeLessThan(15_000);
  expect(marks()).toEqual([`started buildImage attempt=1 pid=${first.child.pid}`, `cancelled buildImage attempt=1 pid=${first.child.pid}`]);

  // The next worker gets the retry (the build policy's 5 s backoff), not a heartbeat timeout later.
  const second = await worker('overdue-second', { TEMPERED_FAKE_SLOW: 'buildImage=1000' });
  const state = await waitForState(client, 'image:overdue:bookworm:runtime', (s) => !!s.published || s.phase === 'failed', 60_000);
  expect(state.failure).toBeUndefined();
  expect(marks().slice(2)).toEqual([`started buildImage attempt=2 pid=${second.child.pid}`, `finished buildImage attempt=2 pid=${second.child.pid}`]);
  expect((await activityRecords(client, 'image:overdue:bookworm:runtime')).buildImage).toMatchObject({ scheduled: 1, attempts: [2], completed: 1 });
  await second.kill('SIGTERM');
});
