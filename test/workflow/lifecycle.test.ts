/**
 * The patch workflow's lifecycle under real operation, on a real Temporal
 * dev server with a real worker (stage activities are the in-memory doubles
 * of fakeStages.ts; faults are injected there):
 *
 * - a cascade never blocks the base: a paused customization answers at once
 *   ("deferred"), the base patches again while a slow customization still
 *   rebuilds, and a newer base digest supersedes the older cascade;
 * - a failed cascade child can run again, and the base names who missed it;
 * - a failed cycle continues as new under a flood of maximum-size signals,
 *   and the retry afterwards loses nothing;
 * - a reply queued by a signal handler reaches its cascade child even when
 *   the run continues as new right after (the server drops a signal sent in
 *   the task that closes the run);
 * - the sign activity's input stays small however large the advisories.
 *
 * Each of these failed on the workflow before the coordinator and the
 * carried outbox (issue 15); RECORD_HISTORIES=1 records the new histories
 * for the replay suite.
 */
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { listRuns } from '../../client/imageHistory';
import { endLegacyImageWorkflows } from '../../client/legacyWorkflows';
import { ensureImageWorkflow, startOptions } from '../../client/imageWorkflows';
import { type CatalogImageRef, cascadeCoordinatorId, cascadeWorkflowId, type ImageRef } from '../../domain/image';
import type { PatchState } from '../../domain/patch/state';
import { SIGNAL_LIMITS, advisorySignal, baseChangedSignal, pauseUpdate, rebuildUpdate, resumeUpdate, retryUpdate, stateQuery } from '../../workflows/messages';
import { recordHistories, type TestWorker } from '../support/testWorker';
import { until, waitForState } from '../support/wait';
import type { FakeUpstream } from './fakeStages';
import { useFakeStack } from './fakeStack';
import { fetchRunHistory } from '../../client/runHistory';

jest.setTimeout(300_000);

let upstream: FakeUpstream;
let tw: TestWorker;
let client: Client;

useFakeStack((s) => ({ upstream, tw, client } = s));
beforeAll(async () => {
  // The production notify signals-with-start the customization's workflow; so does this one.
  upstream.notify = async ({ image, baseDigest, replyTo }) => {
    await client.workflow.signalWithStart('imagePatchWorkflow', { ...startOptions(tw.config, image, { debounceSeconds: 1 }), signal: baseChangedSignal, signalArgs: [{ baseDigest, replyTo }] });
  };
});

const catalog = (name: string): CatalogImageRef => ({ kind: 'catalog', name, release: 'bookworm', variant: 'runtime' });
const custom = (name: string): ImageRef => ({ kind: 'custom', name });
const idOf = (name: string) => `image:${name}:bookworm:runtime`;
const customId = (name: string) => `custom:${name}`;
const state = (id: string): Promise<PatchState> => client.workflow.getHandle(id).query(stateQuery);
const by = { by: 'test' };
let versionBump = 0;
/** Moves the fake archive forward, so the next build of every image gives a new digest. */
const bump = () => (upstream.versions.zlib = `1:1.2.13.dfsg-1+deb12u${++versionBump}`);

/** A valid advisory of about `bytes` as JSON (padded with aliases), as large as a signal may be. */
function largeAdvisory(id: string, source: string, fixedVersion: string, bytes = SIGNAL_LIMITS.advisoryBytes - 1024) {
  const aliases: string[] = [];
  for (let i = 0; JSON.stringify(aliases).length < bytes - 200; i++) aliases.push(`GHSA-${String(i).padStart(4, '0')}-${'x'.repeat(110)}`);
  return { id, source, fixedVersion, severity: 'high', aliases };
}

/** Waits for the base's cascade of `digest` to have every customization answered. */
function cascadeFinished(name: string, digest: string, timeoutMs = 120_000): Promise<PatchState> {
  return waitForState(client, idOf(name), (s) => s.cascade?.baseDigest === digest && !!s.cascade.finished, timeoutMs);
}

test('a cascade never blocks its base: a paused customization defers at once, the base patches again while one rebuilds, a newer base supersedes', async () => {
  upstream.dependents.lbase = ['l-paused', 'l-slow', 'l-last'];
  await ensureImageWorkflow(client, tw.config, catalog('lbase'), { debounceSeconds: 1, cascadeConcurrency: 1 });
  await waitForState(client, idOf('lbase'), (x) => x.phase === 'idle' && x.cycles.at(-1)?.cascade?.done === 3, 120_000);
  for (const name of upstream.dependents.lbase) await waitForState(client, customId(name), (x) => !!x.published && x.phase === 'idle', 60_000);

  await client.workflow.getHandle(customId('l-paused')).executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'change freeze' }] });
  const release = upstream.holdBuilds('l-slow');
  let digest2 = '';
  try {
    bump();
    await client.workflow.getHandle(idOf('lbase')).executeUpdate(rebuildUpdate, { args: [by] });
    // The base is idle again while its cascade runs: the paused one answered, the slow one is still building.
    const second = await waitForState(client, idOf('lbase'), (x) => x.phase === 'idle' && x.cycles.length === 2 && !!x.cascade?.running.includes('l-slow'), 60_000);
    digest2 = second.published!.digest;
    expect(second.cascade?.deferred).toEqual([expect.stringMatching(/^l-paused: .*paused \(change freeze\)/)]);

    // A CVE cycle of the base runs now, not in 6 hours; its digest supersedes the running cascade.
    upstream.versions.openssl = '3.0.16-1~deb12u1';
    await client.workflow.getHandle(idOf('lbase')).signal(advisorySignal, { id: 'CVE-2026-8100', source: 'openssl', fixedVersion: '3.0.16-1~deb12u1', severity: 'high' });
    const third = await waitForState(client, idOf('lbase'), (x) => x.phase === 'idle' && x.handled.some((h) => h.advisory.id === 'CVE-2026-8100'), 60_000);
    const digest3 = third.published!.digest;
    expect(digest3).not.toBe(digest2);
    expect(upstream.count('publishImage', custom('l-slow'))).toBe(1);
    release();

    const done = await cascadeFinished('lbase', digest3);
    expect(done.cascade).toMatchObject({ total: 3, done: 3, failed: [], deferred: [expect.stringMatching(/^l-paused: /)] });
    const older = done.cycles.find((c) => c.digest === digest2)?.cascade;
    expect(older?.superseded).toEqual(['l-last']);
    for (const name of ['l-slow', 'l-last']) {
      const s = await waitForState(client, customId(name), (x) => x.published?.baseDigest === digest3 && x.phase === 'idle', 60_000);
      expect(s.published?.baseDigest).toBe(digest3);
    }
  } finally {
    release();
  }

  // Resumed, the paused one builds once, on the newest base.
  const builds = upstream.count('buildImage', custom('l-paused'));
  const newest = (await state(idOf('lbase'))).published!.digest;
  await client.workflow.getHandle(customId('l-paused')).executeUpdate(resumeUpdate, { args: [by] });
  await waitForState(client, customId('l-paused'), (x) => x.phase === 'idle' && x.published?.baseDigest === newest, 60_000);
  expect(upstream.count('buildImage', custom('l-paused'))).toBe(builds + 1);
  await recordHistories(client, idOf('lbase'), 'cascade-coordinator');
  await recordHistories(client, customId('l-paused'), 'cascade-coordinator');
  await recordHistories(client, cascadeCoordinatorId(catalog('lbase'), digest2), 'cascade-coordinator');
});

test('a failed cascade child runs again when the base rebuilds to the same digest, and the base names who missed the base', async () => {
  upstream.dependents.fbase = ['f-one', 'f-two'];
  await ensureImageWorkflow(client, tw.config, catalog('fbase'), { debounceSeconds: 1 });
  await waitForState(client, idOf('fbase'), (x) => x.phase === 'idle' && x.cycles.at(-1)?.cascade?.done === 2, 120_000);

  upstream.failTestsFor.add('f-one');
  bump();
  await client.workflow.getHandle(idOf('fbase')).executeUpdate(rebuildUpdate, { args: [by] });
  const digest = (await waitForState(client, idOf('fbase'), (x) => x.cycles.length === 2 && x.phase === 'idle', 60_000)).published!.digest;
  const missed = await cascadeFinished('fbase', digest);
  expect(missed.cascade?.failed).toEqual([expect.stringMatching(/^f-one: failed: 1 of 7 image tests failed/)]);
  const child = client.workflow.getHandle(cascadeWorkflowId('f-one', digest));
  expect((await child.describe()).status.name).toBe('FAILED');

  // On-call fixes f-one; the base's rebuild gives the same digest and re-runs the cascade for it.
  upstream.failTestsFor.delete('f-one');
  await client.workflow.getHandle(customId('f-one')).executeUpdate(retryUpdate, { args: [by] });
  await waitForState(client, customId('f-one'), (x) => x.phase === 'idle' && x.published?.baseDigest === digest, 60_000);
  await client.workflow.getHandle(idOf('fbase')).executeUpdate(rebuildUpdate, { args: [{ by: 'on-call', note: 're-cascade' }] });
  const again = await waitForState(client, idOf('fbase'), (x) => x.cycles.length === 3 && x.cascade?.baseDigest === digest && !!x.cascade.finished && x.cascade.failed.length === 0, 60_000);
  expect(again.cycles.at(-1)?.outcome).toBe('unchanged');
  const runs = await until('both runs of the child to be listed', async () => {
    const names: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${cascadeWorkflowId('f-one', digest)}'` })) names.push(w.status.name);
    return names.length === 2 ? names.sort() : undefined;
  }, 30_000);
  expect(runs).toEqual(['COMPLETED', 'FAILED']);
});

test('a failed cycle continues as new under a flood of maximum-size signals; the retry then loses nothing', async () => {
  const historyLimit = 100;
  await ensureImageWorkflow(client, tw.config, catalog('flood'), { debounceSeconds: 1, historyLimit });
  const before = await waitForState(client, idOf('flood'), (x) => !!x.published && x.phase === 'idle', 60_000);
  upstream.failTestsFor.add('flood');
  upstream.versions.openssl = '3.0.17-1~deb12u1';
  const handle = client.workflow.getHandle(idOf('flood'));
  await handle.signal(advisorySignal, { id: 'CVE-2026-8200', source: 'openssl', fixedVersion: '3.0.17-1~deb12u1', severity: 'high' });
  const failed = await waitForState(client, idOf('flood'), (x) => x.phase === 'failed', 60_000);
  const runsBefore = (await listRuns(client, idOf('flood'))).length;

  // 160 signals of ~31 KiB: ~5 MiB and over 200 events into a run whose limit is 100 events.
  const sent = 160;
  for (let i = 0; i < sent; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, j) => handle.signal(advisorySignal, largeAdvisory(`CVE-2026-${9000 + i + j}`, 'openssl', '3.0.17-1~deb12u1'))));
  }
  const flooded = await until('every flood signal handled', async () => {
    const s = await state(idOf('flood'));
    const seen = s.pending.filter((a) => a.id.startsWith('CVE-2026-9')).length + (s.rejectedCount ?? 0) - (before.rejectedCount ?? 0);
    return seen === sent ? s : undefined;
  }, 120_000);
  const accepted = flooded.pending.map((a) => a.id).sort();
  expect(accepted.length).toBeGreaterThan(5);
  expect(flooded).toMatchObject({ phase: 'failed', current: { number: failed.current!.number }, published: before.published });

  const runs = await listRuns(client, idOf('flood'));
  expect(runs.length).toBeGreaterThan(runsBefore);
  const lengths: number[] = [];
  // Each run is readable (fetchRunHistory pages what the server wrote before the workflow could close it) and short.
  for (const run of runs) lengths.push((await fetchRunHistory(client, idOf('flood'), run.runId)).events?.length ?? 0);
  expect(Math.max(...lengths)).toBeLessThan(historyLimit * 2);
  console.info(`failed-cycle flood: ${sent} signals of ~31 KiB, ${accepted.length} queued, ${runs.length - runsBefore} continue-as-new while failed, events per run ${lengths.join(', ')}`);

  upstream.failTestsFor.delete('flood');
  await handle.executeUpdate(retryUpdate, { args: [{ by: 'on-call' }] });
  const after = await waitForState(client, idOf('flood'), (x) => x.phase === 'idle' && x.cycles.at(-1)?.number === failed.current!.number, 60_000);
  expect(after.cycles.at(-1)?.outcome).toBe('published');
  expect(after.pending).toEqual([]);
  const fixed = after.handled.filter((h) => h.verdict.status === 'fixed').map((h) => h.advisory.id);
  expect(fixed).toEqual(expect.arrayContaining(['CVE-2026-8200', ...accepted]));
  await recordHistories(client, idOf('flood'), 'failed-continue-as-new');
});

test('a reply queued by a handler reaches its cascade child even when the run continues as new right after', async () => {
  const historyLimit = 40;
  await ensureImageWorkflow(client, tw.config, catalog('replies'), { debounceSeconds: 1, historyLimit });
  await waitForState(client, idOf('replies'), (x) => !!x.published && x.phase === 'idle', 60_000);
  const handle = client.workflow.getHandle(idOf('replies'));
  const historyLength = async () => (await handle.describe()).historyLength;
  // Harmless signals until the next one's task (3 events: signaled, scheduled, started) passes the limit.
  for (let rejected = (await state(idOf('replies'))).rejectedCount ?? 0; (await historyLength()) + 3 <= historyLimit; ) {
    await handle.signal(advisorySignal, { id: 'not-an-id' });
    rejected++;
    await waitForState(client, idOf('replies'), (x) => (x.rejectedCount ?? 0) === rejected, 30_000);
  }
  const runsBefore = (await listRuns(client, idOf('replies'))).length;

  // A cascade child whose "customization" is in fact this catalog image: it is refused, and must hear so.
  const saved = upstream.notify;
  upstream.notify = async ({ baseDigest, replyTo }) => handle.signal(baseChangedSignal, { baseDigest, replyTo });
  try {
    const child = await client.workflow.start('cascadeWorkflow', {
      workflowId: 'cascade:replies-listener:000000000000',
      taskQueue: tw.config.temporal.orchestrationQueue,
      args: [{ custom: 'replies-listener', base: catalog('somebase'), baseDigest: `sha256:${'1'.repeat(64)}`, queues: { orchestration: tw.config.temporal.orchestrationQueue, build: tw.config.temporal.buildQueue } }],
    });
    const answer = await Promise.race([
      child.result().then((r: { outcome: string }) => r.outcome, (err: unknown) => (err instanceof WorkflowFailedError ? (err.cause?.message ?? '') : String(err))),
      new Promise<string>((resolve) => setTimeout(() => resolve('no answer in 30 s'), 30_000)),
    ]);
    expect(answer).toMatch(/^refused/);
  } finally {
    upstream.notify = saved;
  }
  await until('the run to continue as new', async () => (await listRuns(client, idOf('replies'))).length > runsBefore, 30_000);
});

test('the sign activity gets small VEX records, however large the advisories it states', async () => {
  await ensureImageWorkflow(client, tw.config, catalog('bigvex'), { debounceSeconds: 2 });
  await waitForState(client, idOf('bigvex'), (x) => !!x.published && x.phase === 'idle', 60_000);
  upstream.versions.openssl = '3.0.18-1~deb12u1';
  const handle = client.workflow.getHandle(idOf('bigvex'));
  const count = 14;
  await Promise.all(Array.from({ length: count }, (_, i) => handle.signal(advisorySignal, largeAdvisory(`CVE-2026-${7700 + i}`, 'openssl', '3.0.18-1~deb12u1'))));
  const s = await waitForState(client, idOf('bigvex'), (x) => x.phase === 'idle' && x.handled.filter((h) => h.advisory.id.startsWith('CVE-2026-77')).length === count, 60_000);
  expect(s.rejected).toEqual([]);
  const signed = upstream.signInputBytes.at(-1) ?? 0;
  // The advisories are ~31 KiB each (~430 KiB together); what signing needs of them is a few hundred bytes each.
  expect(signed).toBeLessThan(32 * 1024);
});

describe('workflows from before releases', () => {
  test('an image:<name>:<variant> workflow serves its bookworm image, and up ends it once its successor runs', async () => {
    // Started as the previous version did: the old id, an input without a release.
    const legacyId = 'image:legacy:runtime';
    const options = startOptions(tw.config, catalog('legacy'), { debounceSeconds: 1 });
    const input = options.args[0];
    const { release: _dropped, ...oldImage } = input.image as CatalogImageRef;
    await client.workflow.start('imagePatchWorkflow', { ...options, workflowId: legacyId, args: [{ ...input, image: oldImage }] });
    const served = await waitForState(client, legacyId, (s) => !!s.published || s.phase === 'failed');
    expect(served.failure).toBeUndefined();
    expect(served.image).toEqual(catalog('legacy'));

    await ensureImageWorkflow(client, tw.config, catalog('legacy'), { debounceSeconds: 1 });
    expect(await endLegacyImageWorkflows(client, new Set(['image:other:bookworm:runtime']))).toEqual([]);
    expect(await endLegacyImageWorkflows(client, new Set([idOf('legacy')]))).toEqual([legacyId]);
    const ended = await client.workflow.getHandle(legacyId).describe();
    expect(ended.status.name).toBe('TERMINATED');
    expect((await client.workflow.getHandle(idOf('legacy')).describe()).status.name).toBe('RUNNING');
  });
});
