/**
 * The worker SIGKILLed at every stage of a patch cycle, with real parts only
 * (the compiled worker process, a Temporal dev server, a registry, Debian
 * plus a local signed apt repository, the Docker engine). After each kill a
 * new worker starts; the cycle must finish by itself with exactly ONE digest
 * published, ONE signature set attached to it (it verifies), and every
 * activity completed exactly once: a killed attempt is retried, never
 * doubled, and nothing waits for on-call.
 *
 * Three lanes run side by side on one server and registry, each on its own
 * task queues and image, because every kill costs one heartbeat timeout
 * (30 s: how long Temporal takes to notice a dead worker) and in series the
 * file would take minutes longer:
 *  - lane A: killed at the start of resolveLock, buildImage, testImage, scanImage;
 *  - lane B: killed at the start of signImage, then right after the registry
 *    stored the `.sig` manifest (the worker never hears the answer), then at
 *    the start of publishImage, then right after the registry moved the tag;
 *  - lane C (cascade): killed while the cascade child verifies the new base,
 *    then while the child waits for the customization's workflow and that
 *    workflow's build runs.
 * "At the start" uses the fault hold (workers/faults.ts); "right after the
 * registry stored it" uses a registry tap (test/support/faultProxy.ts) that
 * lets a write through and withholds its answer.
 */
import * as fs from 'node:fs';
import { RegistryClient } from '../../lib/oci/registry';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { cascadeWorkflowId, type ImageRef } from '../../domain/image';
import type { PatchState } from '../../domain/patch/state';
import { simpleCustomization, writeCustomization } from '../support/customizations';
import { startRegistryTap, type RegistryTap } from '../support/faultProxy';
import {
  attemptsOf, completedCounts, cycleEnded, expectPublishedOnce, Lane, oneSignatureSet, publishedOnce, recordOutcome, secondsSince, signedDigests,
} from '../support/faults';
import { activityRecords, type ActivityRecord } from '../support/history';
import { startStack, type Stack } from '../support/stack';
import { canaryDefinition, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { waitForState } from '../support/wait';

jest.setTimeout(900_000);

const ONE_CYCLE = { resolveLock: 1, buildImage: 1, testImage: 1, scanImage: 1, signImage: 1, publishImage: 1 };

interface LaneResult {
  seconds: number;
  kills: { at: string; second: number }[];
  states: Record<string, PatchState>;
  records: Record<string, Record<string, ActivityRecord>>;
}

let upstream: Upstream;
let stack: Stack;
let tap: RegistryTap;
let registry: RegistryClient;
const lanes: Lane[] = [];
let results: Record<'a' | 'b' | 'c', Promise<LaneResult>>;

beforeAll(async () => {
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  const catalog = writeCatalog({ 'stages-a': canaryDefinition('stages-a'), 'stages-b': canaryDefinition('stages-b'), 'stages-c': canaryDefinition('stages-c') });
  writeCustomization(catalog, 'stages-app', simpleCustomization('stages-app', 'stages-c'));
  stack = await startStack({ workers: false, env: { TEMPERED_CATALOG_DIR: catalog, TEMPERED_ARCHIVE: upstream.archive } });
  tap = await startRegistryTap(stack.registry.host);
  registry = new RegistryClient({ host: stack.registry.host, scheme: 'http' });
  // Started together, awaited by the tests below; a lane's failure is reported by its own test.
  results = { a: laneA(), b: laneB(), c: laneC() };
  for (const r of Object.values(results)) r.catch(() => undefined);
});
afterAll(async () => {
  await Promise.all(lanes.map((l) => l.stop()));
  await tap?.close();
  await stack?.stop();
  await upstream?.close();
});

async function laneA(): Promise<LaneResult> {
  const lane = new Lane(stack.config, 'fa');
  lanes.push(lane);
  const t0 = Date.now();
  const image: ImageRef = { kind: 'catalog', name: 'stages-a', release: 'bookworm', variant: 'runtime' };
  await ensureImageWorkflow(stack.client, lane.config, image);
  const kills: LaneResult['kills'] = [];
  const stages = ['resolveLock', 'buildImage', 'testImage', 'scanImage'];
  let worker = await lane.holdAt('resolveLock');
  for (const [i, held] of stages.entries()) {
    const next = stages[i + 1];
    worker = await lane.crash(worker, next);
    kills.push({ at: `start of ${held}`, second: secondsSince(t0) });
    if (next) await lane.reached(next);
  }
  const state = await waitForState(stack.client, 'image:stages-a:bookworm:runtime', cycleEnded);
  return { seconds: secondsSince(t0), kills, states: { image: state }, records: { image: await activityRecords(stack.client, 'image:stages-a:bookworm:runtime') } };
}

async function laneB(): Promise<LaneResult> {
  // Every worker of this lane talks to the registry through the tap.
  const lane = new Lane(stack.config, 'fb', { TEMPERED_REGISTRY: tap.host });
  lanes.push(lane);
  const t0 = Date.now();
  const image: ImageRef = { kind: 'catalog', name: 'stages-b', release: 'bookworm', variant: 'runtime' };
  await ensureImageWorkflow(stack.client, lane.config, image);
  const kills: LaneResult['kills'] = [];

  let worker = await lane.holdAt('signImage');
  // The retry will get as far as the registry storing the signature manifest; then its worker dies before it hears so.
  const sigStored = tap.trip({ method: 'PUT', path: /\/tempered\/stages-b\/manifests\/sha256-[0-9a-f]{64}\.sig$/, when: 'after' });
  worker = await lane.crash(worker);
  kills.push({ at: 'start of signImage', second: secondsSince(t0) });
  const sig = await sigStored;
  if (sig.status !== 201) throw new Error(`the .sig PUT was answered ${sig.status}`);
  worker = await lane.crash(worker, 'publishImage');
  kills.push({ at: `after the registry stored ${sig.path.split('/').pop()} (HTTP ${sig.status}), before the worker heard`, second: secondsSince(t0) });

  await lane.reached('publishImage');
  const tagMoved = tap.trip({ method: 'PUT', path: /\/tempered\/stages-b\/manifests\/bookworm$/, when: 'after' });
  worker = await lane.crash(worker);
  kills.push({ at: 'start of publishImage', second: secondsSince(t0) });
  const moved = await tagMoved;
  if (moved.status !== 201) throw new Error(`the tag PUT was answered ${moved.status}`);
  await lane.crash(worker);
  kills.push({ at: `after the registry moved the tag (HTTP ${moved.status}), before the worker heard`, second: secondsSince(t0) });

  const state = await waitForState(stack.client, 'image:stages-b:bookworm:runtime', cycleEnded);
  return { seconds: secondsSince(t0), kills, states: { image: state }, records: { image: await activityRecords(stack.client, 'image:stages-b:bookworm:runtime') } };
}

async function laneC(): Promise<LaneResult> {
  const lane = new Lane(stack.config, 'fc');
  lanes.push(lane);
  const t0 = Date.now();
  const image: ImageRef = { kind: 'catalog', name: 'stages-c', release: 'bookworm', variant: 'runtime' };
  await ensureImageWorkflow(stack.client, lane.config, image);
  const kills: LaneResult['kills'] = [];

  // The base's whole cycle runs on this worker; its cascade child's first activity is held.
  let worker = await lane.holdAt('verifyBase');
  // The child then hands the rebuild to custom:stages-app and waits; that workflow's build is held.
  worker = await lane.crash(worker, 'buildImage');
  kills.push({ at: 'cascade child verifying the new base', second: secondsSince(t0) });
  await lane.reached('buildImage');
  await lane.crash(worker);
  kills.push({ at: 'cascade child waiting, customization building', second: secondsSince(t0) });

  const custom = await waitForState(stack.client, 'custom:stages-app', cycleEnded);
  // The base's cycle ends when it publishes; its cascade coordinator reports once the customization answered.
  const base = await waitForState(stack.client, 'image:stages-c:bookworm:runtime', (s) => cycleEnded(s) && !!s.cascade?.finished);
  const childId = cascadeWorkflowId('stages-app', base.published?.digest ?? '');
  return {
    seconds: secondsSince(t0),
    kills,
    states: { base, custom },
    records: {
      base: await activityRecords(stack.client, 'image:stages-c:bookworm:runtime'),
      custom: await activityRecords(stack.client, 'custom:stages-app'),
      child: await activityRecords(stack.client, childId),
    },
  };
}

test.each([
  {
    lane: 'a' as const,
    title: 'lane A: killed at resolve, build, test and scan, the cycle publishes one digest with one signature set',
    // Each killed activity ran again exactly once (attempt 2), nothing else was retried.
    attempts: { resolveLock: [2], buildImage: [2], testImage: [2], scanImage: [2], signImage: [1], publishImage: [1] },
  },
  {
    lane: 'b' as const,
    title: 'lane B: killed at sign and publish, before and after their registry writes, the cycle publishes one digest with one signature set',
    // Two kills each; the signature written by the killed attempt was recognized, not doubled (one signed
    // digest, one signature layer); the tag it moved was left alone.
    attempts: { resolveLock: [1], buildImage: [1], testImage: [1], scanImage: [1], signImage: [3], publishImage: [3] },
  },
])('$title', async ({ lane, attempts }) => {
  const r = await results[lane];
  const state = r.states.image as PatchState;
  expect(state.failure).toBeUndefined();
  const digest = state.published!.digest;
  const records = r.records.image as Record<string, ActivityRecord>;
  expect(completedCounts(records)).toEqual(ONE_CYCLE);
  expect(attemptsOf(records)).toEqual(attempts);
  await expectPublishedOnce(stack, `tempered/stages-${lane}`, digest);
  recordOutcome(`stage-kills-lane-${lane}`, { seconds: r.seconds, kills: r.kills, attempts: attemptsOf(records), completed: completedCounts(records), digest });
});

test('lane C: killed during the cascade, the base and the customization each publish once and the child reports it', async () => {
  const r = await results.c;
  const base = r.states.base as PatchState;
  const custom = r.states.custom as PatchState;
  expect(base.failure).toBeUndefined();
  expect(custom.failure).toBeUndefined();
  const baseDigest = base.published!.digest;
  const customDigest = custom.published!.digest;
  expect(base.cycles.at(-1)?.cascade).toMatchObject({ baseDigest, total: 1, done: 1, failed: [] });
  expect(custom.published!.baseDigest).toBe(baseDigest);

  const childId = cascadeWorkflowId('stages-app', baseDigest);
  expect(await stack.client.workflow.getHandle(childId).result()).toMatchObject({ outcome: 'published', digest: customDigest });
  expect(completedCounts(r.records.base as Record<string, ActivityRecord>)).toEqual(ONE_CYCLE);
  expect(completedCounts(r.records.custom as Record<string, ActivityRecord>)).toEqual(ONE_CYCLE);
  expect(completedCounts(r.records.child as Record<string, ActivityRecord>)).toEqual({ verifyBase: 1, notifyImage: 1 });
  expect(attemptsOf(r.records.child as Record<string, ActivityRecord>)).toEqual({ verifyBase: [2], notifyImage: [1] });
  expect(attemptsOf(r.records.custom as Record<string, ActivityRecord>).buildImage).toEqual([2]);

  // The customization publishes into its base's repository: exactly those two digests are signed there.
  expect(await signedDigests(registry, 'tempered/stages-c')).toEqual([baseDigest, customDigest].sort());
  const key = fs.readFileSync(stack.config.publicKeyPath);
  expect(await publishedOnce(registry, 'tempered/stages-c', 'bookworm', baseDigest, key)).toEqual(oneSignatureSet(baseDigest));
  expect(await publishedOnce(registry, 'tempered/stages-c', custom.published!.tag, customDigest, key)).toEqual(oneSignatureSet(customDigest));
  recordOutcome('stage-kills-lane-c', {
    seconds: r.seconds,
    kills: r.kills,
    attempts: { base: attemptsOf(r.records.base!), custom: attemptsOf(r.records.custom!), child: attemptsOf(r.records.child!) },
    digests: { base: baseDigest, custom: customDigest },
  });
});
