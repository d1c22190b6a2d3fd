/**
 * The Temporal dev server SIGKILLed in the middle of a cycle and started again
 * on the same SQLite file. Real parts: the dev server, the compiled worker
 * process (left running through the outage, as a deployment's workers would
 * be), a registry, Debian plus a local apt repository, the Docker engine.
 *
 * Promised: the workflow carries on from where the server's history says it
 * was, the cycle publishes one digest with one signature set, and every
 * signal the server acknowledged before it died is in the workflow's state
 * afterwards (handled by the next cycle), none lost and none doubled.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import type { PatchState } from '../../domain/patch/state';
import { advisorySignal } from '../../workflows/messages';
import { attemptsOf, completedCounts, expectPublishedOnce, Lane, recordOutcome, secondsSince } from '../support/faults';
import { activityRecords } from '../support/history';
import { startStack, type Stack } from '../support/stack';
import { CANARY_DEFINITION, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { until, waitForState } from '../support/wait';
import type { WorkerProcess } from '../support/workerProcess';

jest.setTimeout(600_000);

const WORKFLOW = 'image:canary:bookworm:runtime';
let upstream: Upstream;
let stack: Stack;
let dir: string;
let lane: Lane;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-temporal-restart-'));
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  stack = await startStack({
    workers: false,
    temporal: { dbFile: path.join(dir, 'temporal.db') },
    env: { TEMPERED_CATALOG_DIR: writeCatalog({ canary: CANARY_DEFINITION }), TEMPERED_ARCHIVE: upstream.archive },
  });
  lane = new Lane(stack.config, 'ftemporal');
});
afterAll(async () => {
  await lane?.stop();
  await stack?.stop();
  await upstream?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One advisory the next cycle fixes, one for a package the image lacks, one with no fix yet. */
const ADVISORIES = [
  { id: 'CVE-2099-1001', source: 'tempered-canary', fixedVersion: '1.0-1' },
  { id: 'CVE-2099-1002', source: 'openssl', fixedVersion: '3.0.99-1' },
  { id: 'CVE-2099-1003', source: 'tempered-canary' },
];

test('the dev server killed mid-cycle and restarted on its SQLite file: the cycle completes and no acknowledged signal is lost', async () => {
  const t0 = Date.now();
  const worker: WorkerProcess = await lane.worker();
  const handle = await ensureImageWorkflow(stack.client, lane.config, { kind: 'catalog', name: 'canary', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 1 });

  // Mid-cycle: the build (or the test after it) is running on the worker.
  const during = await until('the cycle to be building', async () => {
    const s = await handle.query<PatchState>('state');
    return s.phase === 'building' || s.phase === 'testing' ? s.phase : undefined;
  }, 120_000, 100);
  // Each signal call returns once the server has written it to its history; the kill follows at once.
  for (const advisory of ADVISORIES) await handle.signal(advisorySignal, advisory);
  await stack.temporal.kill();
  const killedAt = secondsSince(t0);

  // Down long enough for the worker to notice (its polls and the running activity's reports fail).
  await new Promise((r) => setTimeout(r, 10_000));
  const restartedIn = Date.now();
  await stack.temporal.start();
  const restartSeconds = secondsSince(restartedIn);

  // The advisories' cycle ended. waitForState polls through every error: right after the
  // restart a query may fail or time out until the server and the worker's pollers are back.
  const state = await waitForState(stack.client, WORKFLOW, (s) => (!!s.published && !s.current && s.pending.length === 0 && s.cycles.length >= 2) || s.phase === 'failed', 300_000);
  const seconds = secondsSince(t0);
  expect(worker.child.exitCode).toBeNull(); // the same worker process rode out the outage
  expect(state.failure).toBeUndefined();

  // Every acknowledged signal is in the state, once: the cycle after the one the kill interrupted handled them.
  const verdicts = Object.fromEntries(
    [...state.handled.map((h) => [h.advisory.id, h.verdict.status]), ...state.waiting.map((w) => [w.advisory.id, 'waiting'])] as [string, string][],
  );
  expect(verdicts).toEqual({ 'CVE-2099-1001': 'fixed', 'CVE-2099-1002': 'not_affected', 'CVE-2099-1003': 'waiting' });
  expect(state.cycles.map((c) => c.outcome)).toEqual(['published', 'up-to-date']);

  const digest = state.published!.digest;
  await expectPublishedOnce(stack, 'tempered/canary', digest);
  const records = await activityRecords(stack.client, WORKFLOW);
  // Cycle 1 ran each stage once; cycle 2 (the advisories, nothing new to build) ran one resolve.
  expect(completedCounts(records)).toEqual({ resolveLock: 2, buildImage: 1, testImage: 1, scanImage: 1, signImage: 1, publishImage: 1 });

  recordOutcome('temporal-restart', {
    seconds,
    killedDuring: during,
    killedAtSecond: killedAt,
    downSeconds: 10,
    restartSeconds,
    attempts: attemptsOf(records),
    verdicts,
    digest,
  });
});
