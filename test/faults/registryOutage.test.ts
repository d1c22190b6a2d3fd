/**
 * The registry stopped for 60 s in the middle of a publish. Real parts: the
 * registry process (stopped and started again on its storage), the compiled
 * worker process, a Temporal dev server, Debian plus a local apt repository,
 * the Docker engine. A registry tap (test/support/faultProxy.ts) sits in
 * front of the registry only to stop it at the exact moment the publish
 * moves the tag; once stopped, the tap passes on the refusals.
 *
 * Promised: the publish retries with backoff (status shows why meanwhile)
 * and succeeds once the registry is back, without on-call; and at no moment
 * does the tag point at a digest without its signature: a watcher reads the
 * tag straight from the registry every 250 ms of the cycle and checks the
 * `.sig` of whatever it points at.
 */
import * as fs from 'node:fs';
import { RegistryClient } from '../../lib/oci/registry';
import { signatureTag } from '../../lib/oci/artifacts';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { imageStatus } from '../../client/status';
import { advisorySignal } from '../../workflows/messages';
import { startRegistryTap, type RegistryTap } from '../support/faultProxy';
import { cycleEnded, Lane, oneSignatureSet, publishedOnce, recordOutcome, secondsSince, signedDigests } from '../support/faults';
import { activityRecords } from '../support/history';
import { startStack, type Stack } from '../support/stack';
import { CANARY_DEFINITION, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { until, waitForState } from '../support/wait';

jest.setTimeout(600_000);

const WORKFLOW = 'image:canary:bookworm:runtime';
const OUTAGE_MS = 60_000;
let upstream: Upstream;
let stack: Stack;
let tap: RegistryTap;
let lane: Lane;

beforeAll(async () => {
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  stack = await startStack({ workers: false, env: { TEMPERED_CATALOG_DIR: writeCatalog({ canary: CANARY_DEFINITION }), TEMPERED_ARCHIVE: upstream.archive } });
  tap = await startRegistryTap(stack.registry.host);
  lane = new Lane(stack.config, 'fregistry', { TEMPERED_REGISTRY: tap.host });
});
afterAll(async () => {
  await lane?.stop();
  await tap?.close();
  await stack?.stop();
  await upstream?.close();
});

/** Reads the tag straight from the registry until stopped: every digest it pointed at, and any moment it pointed at an unsigned one. */
function watchTag(registry: RegistryClient) {
  const seen: string[] = [];
  const unsigned: string[] = [];
  let reads = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        const digest = await registry.resolve('tempered/canary', 'bookworm');
        if (digest) {
          reads++;
          if (seen.at(-1) !== digest) seen.push(digest);
          if (!(await registry.resolve('tempered/canary', signatureTag(digest)))) unsigned.push(`${new Date().toISOString()} ${digest}`);
        }
      } catch {
        // The registry is down: nothing can be read, nothing can be wrong.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return { seen, unsigned, reads: () => reads, stop: async () => ((stopped = true), await done) };
}

test('registry down for 60 s during publish: the publish retries with backoff, succeeds when it returns, and the tag never points at an unsigned digest', async () => {
  const t0 = Date.now();
  const registry = new RegistryClient({ host: stack.registry.host, scheme: 'http' });
  await lane.worker();
  const handle = await ensureImageWorkflow(stack.client, lane.config, { kind: 'catalog', name: 'canary', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 1 });
  const first = await waitForState(stack.client, WORKFLOW, cycleEnded);
  expect(first.failure).toBeUndefined();
  const before = first.published!.digest;

  // A fix upstream: the next cycle builds, signs and publishes a new digest; the registry goes away as it moves the tag.
  const watcher = watchTag(registry);
  await upstream.repo.publish([canaryPackage('1.0-2')]);
  const tagPut = tap.trip({ method: 'PUT', path: /\/tempered\/canary\/manifests\/bookworm$/, when: 'before' });
  await handle.signal(advisorySignal, { id: 'CVE-2099-2001', source: 'tempered-canary', fixedVersion: '1.0-2' });
  const held = await tagPut;
  await stack.registry.pause();
  held.cut();
  const downAt = Date.now();

  // Half way through the outage: still publishing, nothing failed, and status says why it waits.
  await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
  const midway = await imageStatus(stack.client, WORKFLOW, true);
  expect(midway.state?.phase).toBe('publishing');
  expect(midway.state?.failure).toBeUndefined();
  expect(midway.activity).toMatchObject({ type: 'publishImage' });
  expect(midway.activity?.attempt).toBeGreaterThan(1);
  expect(midway.activity?.lastFailure).toMatch(/registry unreachable/);

  await new Promise((r) => setTimeout(r, downAt + OUTAGE_MS - Date.now()));
  await stack.registry.start();
  const backAt = Date.now();

  const state = await waitForState(stack.client, WORKFLOW, (s) => (s.published?.digest !== before && !s.current) || s.phase === 'failed', 300_000);
  const publishedAfterReturn = secondsSince(backAt);
  expect(state.failure).toBeUndefined();
  const after = state.published!.digest;
  // The workflow can report the publish before the watcher's next read: let it read the moved tag once before stopping it.
  await until('the watcher to read the moved tag', () => watcher.seen.at(-1) === after || undefined, 10_000).catch(() => undefined);
  await watcher.stop();

  // The tag went from the old signed digest to the new signed digest and nowhere else.
  expect(watcher.unsigned).toEqual([]);
  expect(watcher.seen).toEqual([before, after]);
  expect(await signedDigests(registry, 'tempered/canary')).toEqual([before, after].sort());
  expect(await publishedOnce(registry, 'tempered/canary', 'bookworm', after, fs.readFileSync(stack.config.publicKeyPath))).toEqual(oneSignatureSet(after));

  // One publish per cycle; the second took several attempts, each failing on the unreachable registry.
  const publish = (await activityRecords(stack.client, WORKFLOW)).publishImage!;
  expect(publish.completed).toBe(2);
  const attempts = publish.attempts.at(-1) ?? 0;
  expect(attempts).toBeGreaterThanOrEqual(5);
  expect(publish.lastFailures.at(-1)).toMatch(/registry unreachable/);
  await until('status to be idle', async () => ((await imageStatus(stack.client, WORKFLOW)).state?.phase === 'idle' ? true : undefined), 30_000);

  recordOutcome('registry-outage', {
    seconds: secondsSince(t0),
    outageSeconds: OUTAGE_MS / 1000,
    publishAttempts: attempts,
    publishedSecondsAfterRegistryReturned: publishedAfterReturn,
    midwayStatus: { phase: midway.state?.phase, attempt: midway.activity?.attempt, lastFailure: midway.activity?.lastFailure },
    tagReads: watcher.reads(),
    tagHistory: watcher.seen,
    unsignedMoments: watcher.unsigned.length,
    tapLog: tap.log.filter((l) => /held|unreachable/.test(l)).slice(0, 20),
  });
});
