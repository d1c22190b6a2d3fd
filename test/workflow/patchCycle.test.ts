/**
 * The patch workflow's orchestration on a real Temporal dev server with a
 * real worker: batching, deduplication, waiting for a fix, failure and
 * on-call retry, pause/resume, invalid input, continue-as-new. The stage
 * activities are in-memory doubles (fakeStages.ts); everything the workflow
 * decides is the real code. RECORD_HISTORIES=1 saves each scenario's
 * histories for the replay suite (test/replay).
 */
import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { listRuns } from '../../client/imageHistory';
import { ensureImageWorkflow, startOptions } from '../../client/imageWorkflows';
import { cascadeCoordinatorId, cascadeWorkflowId, type CatalogImageRef } from '../../domain/image';
import type { ImageRef } from '../../domain/image';
import { PendingAdvisoriesKey } from '../../domain/patch/searchAttributes';
import type { PatchState } from '../../domain/patch/state';
import { advisorySignal, baseChangedSignal, pauseUpdate, rebuildUpdate, resumeUpdate, retryUpdate, rollbackUpdate, stateQuery } from '../../workflows/messages';
import { recordHistories, type TestWorker } from '../support/testWorker';
import { waitForState } from '../support/wait';
import type { FakeUpstream } from './fakeStages';
import { useFakeStack } from './fakeStack';
import { fetchRunHistory } from '../../client/runHistory';

jest.setTimeout(180_000);

let upstream: FakeUpstream;
let tw: TestWorker;
let client: Client;

useFakeStack((s) => ({ upstream, tw, client } = s));

const image = (name: string): ImageRef => ({ kind: 'catalog', name, release: 'bookworm', variant: 'runtime' });
const idOf = (name: string) => `image:${name}:bookworm:runtime`;
const advisory = (id: string, source: string, fixedVersion: string | null) => ({ id, source, ...(fixedVersion ? { fixedVersion } : {}), severity: 'high' });
const state = (name: string): Promise<PatchState> => client.workflow.getHandle(idOf(name)).query(stateQuery);
const settle = (ms = 3000) => new Promise((r) => setTimeout(r, ms));

/** The reason a validator gave for refusing an update (the error's message is generic). */
async function refusal(update: Promise<unknown>): Promise<string> {
  try {
    await update;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return (err as WorkflowUpdateFailedError).cause?.message ?? '';
  }
  throw new Error('the update was accepted');
}

async function published(name: string, debounceSeconds = 2): Promise<PatchState> {
  await ensureImageWorkflow(client, tw.config, image(name), { debounceSeconds });
  return waitForState(client, idOf(name), (s) => !!s.published && s.phase === 'idle', 60_000);
}

test('a new image builds and publishes once, then idles in a fresh run', async () => {
  const s = await published('initial');
  expect(s.cycles).toHaveLength(1);
  expect(s.cycles[0]?.outcome).toBe('published');
  expect(upstream.count('buildImage', image('initial'))).toBe(1);
  await recordHistories(client, idOf('initial'), 'initial-publish');
});

test('an image of two architectures: a build per architecture, one index, each platform tested, scanned and signed, then the index signed and published', async () => {
  upstream.architectures = ['amd64', 'arm64'];
  try {
    const s = await published('multi');
    const builds = upstream.builds.slice(-2).sort((a, b) => a.architecture.localeCompare(b.architecture));
    // A runtime image is package bytes: both built from the build queue. (A dev image's arm64 build runs its code: below.)
    expect(builds.map((b) => [b.architecture, b.taskQueue])).toEqual([['amd64', tw.config.temporal.buildQueue], ['arm64', tw.config.temporal.buildQueue]]);
    const platformDigests = builds.map((b) => b.digest);
    expect(upstream.count('assembleIndex', image('multi'))).toBe(1);
    const index = s.published?.digest ?? '';
    expect(platformDigests).not.toContain(index);
    expect(s.cycles.at(-1)?.platforms).toEqual([{ architecture: 'amd64', digest: platformDigests[0] }, { architecture: 'arm64', digest: platformDigests[1] }]);
    const seen = (activity: string) => upstream.stageDigests.filter((d) => d.activity === activity).map((d) => d.digest);
    expect(seen('testImage').slice(-2)).toEqual(platformDigests);
    expect(seen('scanImage').slice(-2)).toEqual(platformDigests);
    // Each platform image, then the index; and what moves the tag is the index.
    expect(seen('signImage').slice(-3)).toEqual([...platformDigests, index]);
    expect(seen('publishImage').at(-1)).toBe(index);
    await recordHistories(client, idOf('multi'), 'multi-platform-publish');

    await ensureImageWorkflow(client, tw.config, { kind: 'catalog', name: 'multi', release: 'bookworm', variant: 'dev' }, { debounceSeconds: 2 });
    await waitForState(client, 'image:multi:bookworm:dev', (x) => !!x.published && x.phase === 'idle', 60_000);
    const devBuilds = upstream.builds.slice(-2).sort((a, b) => a.architecture.localeCompare(b.architecture));
    expect(devBuilds.map((b) => [b.architecture, b.taskQueue])).toEqual([['amd64', tw.config.temporal.buildQueue], ['arm64', `${tw.config.temporal.buildQueue}-arm64`]]);
  } finally {
    upstream.architectures = undefined;
  }
});

test('ten advisories in the debounce window make one rebuild, and each is marked fixed', async () => {
  await published('batch', 3);
  upstream.versions.openssl = '3.0.16-1~deb12u1';
  const handle = client.workflow.getHandle(idOf('batch'));
  for (let i = 0; i < 10; i++) await handle.signal(advisorySignal, advisory(`CVE-2026-${1000 + i}`, 'openssl', '3.0.16-1~deb12u1'));
  const s = await waitForState(client, idOf('batch'), (x) => x.handled.length === 10 && x.phase === 'idle', 60_000);
  expect(upstream.count('buildImage', image('batch'))).toBe(2);
  expect(s.handled.every((h) => h.verdict.status === 'fixed')).toBe(true);
  await recordHistories(client, idOf('batch'), 'batch');
});

test('100 identical advisories make one rebuild; re-sending after the fix makes none', async () => {
  await published('storm');
  upstream.versions.zlib = '1:1.2.13.dfsg-1+deb12u1';
  const handle = client.workflow.getHandle(idOf('storm'));
  const same = advisory('CVE-2026-2000', 'zlib', '1:1.2.13.dfsg-1+deb12u1');
  await Promise.all(Array.from({ length: 100 }, () => handle.signal(advisorySignal, same)));
  await waitForState(client, idOf('storm'), (x) => x.handled.length === 1 && x.phase === 'idle', 60_000);
  const before = upstream.count('buildImage', image('storm'));
  expect(before).toBe(2);
  await handle.signal(advisorySignal, same);
  await settle();
  expect(upstream.count('buildImage', image('storm'))).toBe(before);
  expect((await state('storm')).pending).toEqual([]);
});

test('an advisory with no fix waits, visible as waiting-for-fix; the fixed record patches it', async () => {
  await published('nofix');
  const handle = client.workflow.getHandle(idOf('nofix'));
  await handle.signal(advisorySignal, advisory('CVE-2026-3000', 'glibc', null));
  const waiting = await waitForState(client, idOf('nofix'), (x) => x.phase === 'waiting-for-fix', 60_000);
  expect(waiting.waiting[0]?.why).toMatch(/no fix yet/);
  const listed = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${idOf('nofix')}' AND PatchPhase = 'waiting-for-fix' AND ExecutionStatus = 'Running'` })) listed.push(w);
  expect(listed).toHaveLength(1);

  upstream.versions.glibc = '2.36-9+deb12u10';
  await handle.signal(advisorySignal, advisory('CVE-2026-3000', 'glibc', '2.36-9+deb12u10'));
  const fixed = await waitForState(client, idOf('nofix'), (x) => x.phase === 'idle' && x.handled.some((h) => h.advisory.id === 'CVE-2026-3000'), 60_000);
  expect(fixed.waiting).toEqual([]);
  expect(fixed.handled.find((h) => h.advisory.id === 'CVE-2026-3000')?.verdict).toMatchObject({ status: 'fixed', version: '2.36-9+deb12u10' });
  await recordHistories(client, idOf('nofix'), 'waiting-for-fix');
});

test('a failing image test keeps the last good digest and waits for retry; retry publishes', async () => {
  const good = await published('failing');
  upstream.failTests = true;
  upstream.versions.openssl = '3.0.17-1~deb12u1';
  const handle = client.workflow.getHandle(idOf('failing'));
  await handle.signal(advisorySignal, advisory('CVE-2026-4000', 'openssl', '3.0.17-1~deb12u1'));
  const failed = await waitForState(client, idOf('failing'), (x) => x.phase === 'failed', 60_000);
  expect(failed.failure).toMatchObject({ stage: 'testing', activity: 'testImage', type: 'ImageTestFailed' });
  expect(failed.published?.digest).toBe(good.published?.digest);
  const described = await handle.describe();
  expect(described.status.name).toBe('RUNNING');
  // The failed cycle's advisory is still open: on-call's `PendingAdvisories = 'CVE-…'` finds this image.
  expect(described.typedSearchAttributes.get(PendingAdvisoriesKey)).toEqual(['CVE-2026-4000']);

  expect(await refusal(handle.executeUpdate(rebuildUpdate, { args: [{ by: 'test' }] }))).toMatch(/has a failed cycle; use retry/);
  upstream.failTests = false;
  const answer = await handle.executeUpdate(retryUpdate, { args: [{ by: 'on-call' }] });
  expect(answer).toEqual({ cycle: failed.current!.number, failedStage: 'testing' });
  const after = await waitForState(client, idOf('failing'), (x) => x.phase === 'idle', 60_000);
  expect(after.published?.digest).not.toBe(good.published?.digest);
  expect(after.cycles.at(-1)?.reasons).toContainEqual({ kind: 'retry', of: failed.current!.number });
  await recordHistories(client, idOf('failing'), 'failure-and-retry');
});

test('pause refuses a second pause with the reason, holds advisories, and resume releases them', async () => {
  await published('paused');
  const handle = client.workflow.getHandle(idOf('paused'));
  await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'registry migration' }] });
  expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'again' }] }))).toMatch(/already paused since .* by alice: registry migration/);
  await expect(handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] })).resolves.toMatchObject({ queued: 0 });
  expect(await refusal(handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] }))).toMatch(/is not paused/);

  await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'hold' }] });
  upstream.versions.openssl = '3.0.18-1~deb12u1';
  await handle.signal(advisorySignal, advisory('CVE-2026-5000', 'openssl', '3.0.18-1~deb12u1'));
  await settle();
  const held = await state('paused');
  expect(held.phase).toBe('paused');
  expect(held.pending).toHaveLength(1);
  await handle.executeUpdate(resumeUpdate, { args: [{ by: 'alice' }] });
  await waitForState(client, idOf('paused'), (x) => x.handled.some((h) => h.advisory.id === 'CVE-2026-5000') && x.phase === 'idle', 60_000);
  await recordHistories(client, idOf('paused'), 'pause-resume');
});

test('invalid advisory signals are recorded as rejected and disturb nothing', async () => {
  await published('invalid');
  const handle = client.workflow.getHandle(idOf('invalid'));
  const builds = upstream.count('buildImage', image('invalid'));
  await handle.signal(advisorySignal, { id: 'CVE-2026-6000' });
  await handle.signal(advisorySignal, { id: 'not-an-id', source: 'openssl', fixedVersion: '1.0' });
  await handle.signal(advisorySignal, 'nonsense');
  const s = await waitForState(client, idOf('invalid'), (x) => x.rejected.length === 3, 30_000);
  expect(s.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/source/), expect.stringMatching(/id/), expect.any(String)]);
  await settle(2000);
  expect(upstream.count('buildImage', image('invalid'))).toBe(builds);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  await recordHistories(client, idOf('invalid'), 'invalid-input');
});

test('a transient publish failure is retried by Temporal and the cycle completes', async () => {
  await published('flaky');
  upstream.publishFailures = 2;
  upstream.versions.openssl = '3.0.19-1~deb12u1';
  await client.workflow.getHandle(idOf('flaky')).signal(advisorySignal, advisory('CVE-2026-7000', 'openssl', '3.0.19-1~deb12u1'));
  const s = await waitForState(client, idOf('flaky'), (x) => x.handled.some((h) => h.advisory.id === 'CVE-2026-7000') && x.phase === 'idle', 60_000);
  expect(s.failure).toBeUndefined();
  expect(upstream.count('publishImage', image('flaky'))).toBe(1 + 3);
});

test('every cycle continues as new: each run holds at most one cycle and stays short', async () => {
  await published('runs');
  const handle = client.workflow.getHandle(idOf('runs'));
  for (let i = 0; i < 3; i++) {
    upstream.versions.zlib = `1:1.2.13.dfsg-${i + 2}`;
    await handle.executeUpdate(rebuildUpdate, { args: [{ by: 'test', note: `round ${i}` }] });
    await waitForState(client, idOf('runs'), (x) => x.cycles.length === i + 2 && x.phase === 'idle', 60_000);
  }
  const lengths: number[] = [];
  for (const run of await listRuns(client, idOf('runs'))) lengths.push((await fetchRunHistory(client, idOf('runs'), run.runId)).events?.length ?? 0);
  expect(lengths.length).toBeGreaterThanOrEqual(5);
  expect(Math.max(...lengths)).toBeLessThanOrEqual(60);
  await recordHistories(client, idOf('runs'), 'continue-as-new');
});

test('rollback re-points to a verified earlier digest, records why, and refuses what it cannot do', async () => {
  const first = await published('rollback');
  const handle = client.workflow.getHandle(idOf('rollback'));
  upstream.versions.glibc = '2.36-9+deb12u11';
  await handle.executeUpdate(rebuildUpdate, { args: [{ by: 'test' }] });
  const second = await waitForState(client, idOf('rollback'), (x) => x.published?.digest !== first.published!.digest && x.phase === 'idle', 60_000);

  expect(await refusal(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'carol', digest: second.published!.digest, reason: 'x' }] }))).toMatch(/already the published digest/);
  const unknown = `sha256:${'0'.repeat(64)}`;
  expect(await refusal(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'carol', digest: unknown, reason: 'x' }] }))).toMatch(/never published/);

  upstream.refuseRollback = true;
  await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'carol', digest: first.published!.digest, reason: 'try an unsigned one' }] });
  const refused = await waitForState(client, idOf('rollback'), (x) => x.cycles.at(-1)?.reasons[0]?.kind === 'rollback' && x.phase === 'idle', 60_000);
  expect(refused.cycles.at(-1)).toMatchObject({ outcome: 'failed', failure: { type: 'RollbackRefused' } });
  expect(refused.published?.digest).toBe(second.published!.digest);

  upstream.refuseRollback = false;
  const answer = await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'carol', digest: first.published!.digest, reason: 'regression in glibc deb12u11' }] });
  const rolled = await waitForState(client, idOf('rollback'), (x) => x.published?.digest === first.published!.digest && x.phase === 'idle', 60_000);
  expect(rolled.cycles.at(-1)).toMatchObject({
    number: answer.cycle,
    outcome: 'rolled-back',
    digest: first.published!.digest,
    previousDigest: second.published!.digest,
    reasons: [{ kind: 'rollback', digest: first.published!.digest, by: 'carol', reason: 'regression in glibc deb12u11' }],
  });
  await recordHistories(client, idOf('rollback'), 'rollback');
});

test('a base patch cascades to every customization on it, each rebuilt by its own workflow on the new base', async () => {
  upstream.dependents.cbase = ['app-one', 'app-two', 'app-three'];
  upstream.notify = async ({ image, baseDigest, replyTo }) => {
    await client.workflow.signalWithStart('imagePatchWorkflow', {
      ...startOptions(tw.config, image, { debounceSeconds: 1 }),
      signal: baseChangedSignal,
      signalArgs: [{ baseDigest, replyTo }],
    });
  };
  await ensureImageWorkflow(client, tw.config, image('cbase'), { debounceSeconds: 1, cascadeConcurrency: 2 });
  const base = await waitForState(client, idOf('cbase'), (x) => x.phase === 'idle' && x.cycles.at(-1)?.cascade?.done === 3, 60_000);
  const digest = base.published!.digest;
  expect(base.cycles.at(-1)?.cascade).toMatchObject({ baseDigest: digest, total: 3, done: 3, failed: [] });
  for (const name of upstream.dependents.cbase) {
    const custom = await waitForState(client, `custom:${name}`, (x) => !!x.published && x.phase === 'idle', 60_000);
    expect(custom.published?.baseDigest).toBe(digest);
    const child = await client.workflow.getHandle(cascadeWorkflowId(name, digest)).result();
    expect(child).toMatchObject({ outcome: 'published', digest: custom.published!.digest });
  }
  expect(upstream.count('buildImage', { kind: 'custom', name: 'app-one' })).toBe(1);
  await recordHistories(client, idOf('cbase'), 'cascade');
  await recordHistories(client, 'custom:app-one', 'cascade');
  await recordHistories(client, cascadeWorkflowId('app-one', digest), 'cascade');
  await recordHistories(client, cascadeCoordinatorId(image('cbase') as CatalogImageRef, digest), 'cascade');
});
