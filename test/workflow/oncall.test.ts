/**
 * The on-call paths of docs/ONCALL.md on a real dev server and worker, with
 * faults injected into the stage doubles (fakeStages.ts):
 *  - a failed cycle keeps the workflow Running in phase `failed`, with the
 *    reason and the failing activity, visible to status, history and the
 *    PatchPhase search attribute; `tempered retry --wait` reports a repeat
 *    failure, then publishes once the cause is fixed;
 *  - an activity retrying with backoff is retried at once with
 *    `temporal activity reset` (the attempt count starts again at 1);
 *  - `temporal workflow reset --type FirstWorkflowTask` replays the failed
 *    run from its start, with its signals re-applied, and publishes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../activities/types';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import type { ImageRef } from '../../domain/image';
import type { PatchState } from '../../domain/patch/state';
import { stateQuery } from '../../workflows/messages';
import { type CliResult, cliEnv, runCli, runProcess } from '../support/cli';
import { activityRecords } from '../support/history';
import { freePort } from '../support/ports';
import { startTemporal, TEMPORAL_BIN, type TestTemporal } from '../support/temporal';
import { startTestWorker, type TestWorker } from '../support/testWorker';
import { until, waitForState } from '../support/wait';
import { FakeUpstream } from './fakeStages';
import { fetchRunHistory } from '../../client/runHistory';

jest.setTimeout(240_000);

const image = (name: string): ImageRef => ({ kind: 'catalog', name, release: 'bookworm', variant: 'runtime' });
const idOf = (name: string) => `image:${name}:bookworm:runtime`;

/** Per-image faults on top of the shared doubles: a failing image test, a registry that refuses pushes. */
const brokenTests = new Set<string>();
const registryDown = new Set<string>();
const publishCalls: Record<string, number> = {};

let server: TestTemporal;
let upstream: FakeUpstream;
let tw: TestWorker;

beforeAll(async () => {
  server = await startTemporal();
  upstream = new FakeUpstream();
  const stages = upstream.activities();
  tw = await startTestWorker(server, {
    ...stages,
    testImage: async (input) => {
      if (brokenTests.has(input.image.name)) {
        throw ApplicationFailure.nonRetryable('1 of 7 image tests failed: runs as nonroot: user is 0:0, want 65532:65532', ErrorType.imageTestFailed);
      }
      return stages.testImage(input);
    },
    publishImage: async (input) => {
      publishCalls[input.image.name] = (publishCalls[input.image.name] ?? 0) + 1;
      if (registryDown.has(input.image.name)) throw new Error('PUT /v2/tempered/x/manifests/bookworm: registry unreachable (connection refused)');
      return stages.publishImage(input);
    },
  });
});
afterAll(async () => {
  await tw?.stop();
  await server?.stop();
});

const tempered = (...args: string[]) => runCli(args, cliEnv(tw.config));
const state = (name: string) => tw.client.workflow.getHandle(idOf(name)).query(stateQuery);

function temporalCli(...args: string[]): Promise<CliResult> {
  return runProcess(TEMPORAL_BIN, [...args, '--address', server.address], {});
}

async function published(name: string): Promise<PatchState> {
  await ensureImageWorkflow(tw.client, tw.config, image(name), { debounceSeconds: 1 });
  return waitForState(tw.client, idOf(name), (s) => !!s.published && s.phase === 'idle', 60_000);
}

/** Moves the fake archive forward and tells the image, so its next cycle must build and publish. */
async function patchNeeded(name: string, cve: string): Promise<void> {
  const version = `3.0.${30 + Object.keys(publishCalls).length}-${cve.slice(-4)}`;
  upstream.versions.openssl = version;
  await tw.client.workflow.getHandle(idOf(name)).signal('advisory', { id: cve, source: 'openssl', fixedVersion: version, severity: 'high' });
}

function listed(query: string): Promise<string[]> {
  return until(
    `a workflow listed for ${query}`,
    async () => {
      const ids: string[] = [];
      for await (const info of tw.client.workflow.list({ query })) ids.push(info.workflowId);
      return ids.length ? ids : undefined;
    },
    10_000,
    200,
  );
}

test('a failed cycle stays Running in phase failed with reason and activity; retry --wait reports, then publishes', async () => {
  const good = await published('stuck');
  brokenTests.add('stuck');
  await patchNeeded('stuck', 'CVE-2026-4101');
  const failed = await waitForState(tw.client, idOf('stuck'), (s) => s.phase === 'failed', 60_000);
  const cycle = failed.current!.number;

  // What on-call sees: Running, phase failed, why, where; the last good image still published.
  const description = await tw.client.workflow.getHandle(idOf('stuck')).describe();
  expect(description.status.name).toBe('RUNNING');
  expect(failed.failure).toMatchObject({ stage: 'testing', activity: 'testImage', type: 'ImageTestFailed', message: expect.stringMatching(/runs as nonroot/) });
  expect(failed.published?.digest).toBe(good.published?.digest);
  expect(await listed(`ExecutionStatus = 'Running' AND PatchPhase = 'failed' AND ImageName = 'stuck'`)).toEqual([idOf('stuck')]);
  const status = JSON.parse((await tempered('status', 'stuck:bookworm', '--json')).stdout) as { phase: string; failure: string }[];
  expect(status[0]).toMatchObject({ phase: 'failed', failure: expect.stringMatching(/^testImage: 1 of 7 image tests failed/) });
  const history = JSON.parse((await tempered('history', 'stuck:bookworm', '--json')).stdout) as { cycles: { number: number; current: boolean; runId: string; failure?: { type: string } }[] };
  expect(history.cycles.at(-1)).toMatchObject({ number: cycle, current: true, runId: description.runId, failure: { type: 'ImageTestFailed' } });

  // Retried before the fix: fails again, and --wait says so in one line with exit 1.
  const again = await tempered('retry', 'stuck:bookworm', '--by', 'on-call', '--wait');
  expect(again.code).toBe(1);
  expect(again.stderr.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^error: cycle ${cycle} of stuck:bookworm failed \\(testing: testImage ImageTestFailed: 1 of 7 image tests failed.*\\); fix the cause, then: tempered retry stuck:bookworm$`));

  brokenTests.delete('stuck');
  const fixed = await tempered('retry', 'stuck:bookworm', '--by', 'on-call', '--wait');
  expect(fixed.code).toBe(0);
  expect(fixed.stdout).toMatch(new RegExp(`stuck:bookworm: retrying cycle ${cycle} \\(it failed in testing\\)`));
  expect(fixed.stdout).toMatch(/│ published │/);
  const after = await state('stuck');
  expect(after.phase).toBe('idle');
  expect(after.published?.digest).not.toBe(good.published?.digest);
  expect(after.cycles.at(-1)).toMatchObject({ number: cycle, outcome: 'published' });
  expect(after.cycles.at(-1)?.reasons.filter((r) => r.kind === 'retry')).toHaveLength(2);
});

test('temporal activity reset retries a backing-off activity at once, from attempt 1', async () => {
  await published('outage');
  registryDown.add('outage');
  const before = publishCalls.outage ?? 0;
  await patchNeeded('outage', 'CVE-2026-4102');
  const handle = tw.client.workflow.getHandle(idOf('outage'));

  // The publish policy backs off 2 s, 4 s, 8 s, ...: after the third failure the next attempt is ~8 s away.
  const pending = await until('publishImage to reach attempt 4 after a failure', async () => {
    const p = (await handle.describe()).raw.pendingActivities?.[0];
    return p?.activityType?.name === 'publishImage' && (p.attempt ?? 0) >= 4 && p.lastFailure ? p : undefined;
  }, 60_000);
  expect(pending).toMatchObject({ attempt: 4, lastFailure: { message: expect.stringMatching(/registry unreachable/) } });
  const status = JSON.parse((await tempered('status', 'outage:bookworm', '--json')).stdout) as { phase: string; activity: { type: string; attempt: number; lastFailure: string } }[];
  expect(status[0]).toMatchObject({ phase: 'publishing', activity: { type: 'publishImage', attempt: 4, lastFailure: expect.stringMatching(/registry unreachable/) } });

  registryDown.delete('outage');
  const nextAttemptAt = Number(pending.nextAttemptScheduleTime?.seconds ?? 0) * 1000;
  const reset = await temporalCli('activity', 'reset', '--workflow-id', idOf('outage'), '--activity-id', String(pending.activityId));
  expect({ code: reset.code, stderr: reset.stderr }).toEqual({ code: 0, stderr: '' });
  const done = await waitForState(tw.client, idOf('outage'), (s) => s.phase === 'idle' && s.handled.some((h) => h.advisory.id === 'CVE-2026-4102'), 30_000);

  // Published before the backoff would have let it try again, by a fresh attempt 1, and never failed the cycle.
  expect(Date.now()).toBeLessThan(nextAttemptAt);
  expect(done.failure).toBeUndefined();
  expect(publishCalls.outage! - before).toBe(4);
  // The history records an activity's last attempt only: the publish that succeeded is the latest one, and was attempt 1.
  expect((await activityRecords(tw.client, idOf('outage'))).publishImage?.attempts.at(-1)).toBe(1);
});

test('temporal workflow reset to the first workflow task of the failed run re-runs the cycle and publishes', async () => {
  const good = await published('rewind');
  brokenTests.add('rewind');
  await patchNeeded('rewind', 'CVE-2026-4103');
  const failed = await waitForState(tw.client, idOf('rewind'), (s) => s.phase === 'failed', 60_000);
  const failedRun = (await tw.client.workflow.getHandle(idOf('rewind')).describe()).runId;

  brokenTests.delete('rewind');
  const reset = await temporalCli('workflow', 'reset', '--workflow-id', idOf('rewind'), '--run-id', failedRun, '--type', 'FirstWorkflowTask', '--reason', 'test fixed: re-run the failed cycle', '-o', 'json');
  expect(reset.code).toBe(0);
  const newRun = (JSON.parse(reset.stdout) as { runId: string }).runId;
  expect(newRun).not.toBe(failedRun);

  // The failed run is closed; the new one re-ran the cycle with the advisory signal re-applied, and no retry reason.
  const after = await waitForState(tw.client, idOf('rewind'), (s) => s.phase === 'idle' && s.handled.some((h) => h.advisory.id === 'CVE-2026-4103'), 60_000);
  expect((await tw.client.workflow.getHandle(idOf('rewind'), failedRun).describe()).status.name).toBe('TERMINATED');
  const cycle = after.cycles.find((c) => c.number === failed.current!.number);
  expect(cycle).toMatchObject({ outcome: 'published', reasons: [{ kind: 'advisories', ids: ['CVE-2026-4103'] }] });
  expect(after.published?.digest).not.toBe(good.published?.digest);
  const history = JSON.parse((await tempered('history', 'rewind:bookworm', '--json')).stdout) as { cycles: { number: number; runId: string }[]; runs: { runId: string; status: string }[] };
  expect(history.cycles.find((c) => c.number === cycle?.number)?.runId).toBe(newRun);
  expect(history.runs.find((r) => r.runId === failedRun)?.status).toBe('TERMINATED');
});

test('rollback with the registry down says so in one line (exit 3) and asks the workflow nothing', async () => {
  const before = await published('norollback');
  // A second digest published, so that rolling back to the first is a request the workflow would accept.
  await patchNeeded('norollback', 'CVE-2026-4104');
  const patched = await waitForState(tw.client, idOf('norollback'), (s) => s.phase === 'idle' && s.handled.some((h) => h.advisory.id === 'CVE-2026-4104'), 60_000);
  expect(patched.published?.digest).not.toBe(before.published?.digest);
  const closed = `127.0.0.1:${await freePort()}`;
  const r = await runCli(['rollback', 'norollback:bookworm', before.published!.digest, '--reason', 'bad openssl'], cliEnv(tw.config, { TEMPERED_REGISTRY: closed }));
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 3, stdout: '' });
  expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^error: .*${closed}.*registry unreachable`))]);
  const events = (await fetchRunHistory(tw.client, idOf('norollback'))).events ?? [];
  expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateAdmittedEventAttributes)).toEqual([]);
});

test('history export writes every run; history replay passes them on this code and catches a changed one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-histories-'));
  try {
    const exported = await tempered('history', 'export', 'stuck:bookworm', '--out', dir, '--json');
    expect(exported.code).toBe(0);
    const { runs } = JSON.parse(exported.stdout) as { runs: { file: string; events: number; status: string }[] };
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const run of runs) expect(run.file.startsWith(path.join(dir, 'image_stuck_bookworm_runtime', ''))).toBe(true);

    const replayed = await tempered('history', 'replay', path.join(dir, 'image_stuck_bookworm_runtime'), '--json');
    expect({ code: replayed.code, failed: (JSON.parse(replayed.stdout) as { failed: number }).failed }).toEqual({ code: 0, failed: 0 });

    // The run with the failed and retried cycle, as if an older version of the code had run a different activity there.
    const cycleRun = runs.reduce((a, b) => (b.events > a.events ? b : a));
    const history = JSON.parse(fs.readFileSync(cycleRun.file, 'utf8')) as { events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[] };
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'testImage');
    scheduled!.activityTaskScheduledEventAttributes!.activityType.name = 'lintImage';
    fs.writeFileSync(cycleRun.file, JSON.stringify(history));
    const broken = await tempered('history', 'replay', cycleRun.file);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/\[TMPRL1100\] Nondeterminism error/);
    expect(broken.stderr.trimEnd().split('\n').at(-1)).toBe('error: 1 of 1 histories do not replay on this code: guard the change with patched() (docs/ONCALL.md)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
