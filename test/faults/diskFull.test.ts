/**
 * The state directory's disk fills up. The state directory is a 30 MB tmpfs
 * of the test's own (mounted as root, unmounted afterwards); a filler file
 * takes its space. Real parts: the compiled worker process, a Temporal dev
 * server, a registry, Debian plus a local apt repository, the Docker engine.
 *
 *  1. no byte free: resolve cannot store the lock;
 *  2. 1 MB freed: the lock fits, the build's root filesystem does not;
 *  3. the filler deleted: the next automatic retry builds and publishes.
 *
 * Promised: a clear error (ENOSPC and the full directory named) on the
 * pending activity at each step, the cycle waiting in its stage rather than
 * failing; the lock store and the blob store only ever hold complete files
 * whose bytes match their digests, and no partial temporary file is left
 * behind to eat what space remains; once space is freed the cycle completes
 * and publishes one digest with one signature set.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RegistryClient } from '../../lib/oci/registry';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { imageStatus, type ImageStatus } from '../../client/status';
import { cycleEnded, expectPublishedOnce, Lane, recordOutcome, secondsSince, storeProblems } from '../support/faults';
import { activityRecords } from '../support/history';
import { startStack, type Stack } from '../support/stack';
import { CANARY_DEFINITION, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { until, waitForState } from '../support/wait';

jest.setTimeout(600_000);

const WORKFLOW = 'image:canary:bookworm:runtime';
const SIZE = '30m';
let upstream: Upstream;
let stack: Stack;
let lane: Lane;
let stateDir: string;
let mounted = false;

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-diskfull-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE},mode=0755`, 'tempered-diskfull', stateDir]);
  mounted = true;
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  stack = await startStack({
    workers: false,
    // The blob store and build records on the tmpfs too, whatever build cache the test run shares.
    env: { TEMPERED_CATALOG_DIR: writeCatalog({ canary: CANARY_DEFINITION }), TEMPERED_ARCHIVE: upstream.archive, TEMPERED_STATE_DIR: stateDir, TEMPERED_BUILD_CACHE: path.join(stateDir, 'oci') },
  });
  // Its workers' build cache is the default, <state dir>/oci: the one set above.
  lane = new Lane(stack.config, 'fdisk');
});
afterAll(async () => {
  await lane?.stop();
  await stack?.stop();
  await upstream?.close();
  if (mounted) execFileSync('umount', [stateDir]);
  fs.rmSync(stateDir, { recursive: true, force: true });
});

const FILLER = () => path.join(stateDir, 'filler');
const freeBytes = () => {
  const s = fs.statfsSync(stateDir);
  return s.bavail * s.bsize;
};

/** Takes every free byte of the tmpfs. */
function fill(): void {
  const fd = fs.openSync(FILLER(), 'a');
  try {
    for (const chunk of [1 << 20, 1 << 12]) {
      const bytes = Buffer.alloc(chunk);
      for (;;) {
        try {
          fs.writeSync(fd, bytes);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Waits until `activity` is pending again after failing on the full disk; returns what status shows. */
async function failingOnDisk(activity: string): Promise<ImageStatus> {
  return until(`${activity} to fail on the full disk and be retried`, async () => {
    const s = await imageStatus(stack.client, WORKFLOW, true);
    return s.activity?.type === activity && s.activity.attempt >= 2 && /ENOSPC/.test(s.activity.lastFailure ?? '') ? s : undefined;
  }, 180_000, 250);
}

test('disk full in the state directory: a clear error, no corrupted lock or blob, and the cycle completes once space is freed', async () => {
  const t0 = Date.now();
  const registry = new RegistryClient({ host: stack.registry.host, scheme: 'http' });
  await lane.worker();
  fill();
  expect(freeBytes()).toBe(0);
  await ensureImageWorkflow(stack.client, lane.config, { kind: 'catalog', name: 'canary', release: 'bookworm', variant: 'runtime' });

  // 1. Nothing fits: the lock cannot be stored.
  const noSpace = await failingOnDisk('resolveLock');
  expect(noSpace.state?.phase).toBe('resolving');
  expect(noSpace.state?.failure).toBeUndefined();
  expect(noSpace.activity?.lastFailure).toContain(stateDir);
  const afterResolve = storeProblems(stack.config);
  expect(afterResolve).toMatchObject({ problems: [], leftovers: [], locks: 0 });

  // 2. Room for a lock, not for a root filesystem.
  fs.truncateSync(FILLER(), fs.statSync(FILLER()).size - (1 << 20));
  const noRoom = await failingOnDisk('buildImage');
  expect(noRoom.state?.phase).toBe('building');
  expect(noRoom.state?.failure).toBeUndefined();
  expect(noRoom.activity?.lastFailure).toContain(stateDir);
  const afterBuild = storeProblems(stack.config);
  expect(afterBuild).toMatchObject({ problems: [], leftovers: [], locks: 1 });
  expect(await registry.listTags('tempered/canary')).toEqual([]);

  // 3. Space back: the build's next automatic retry goes through.
  fs.rmSync(FILLER());
  const freedAt = Date.now();
  const state = await waitForState(stack.client, WORKFLOW, cycleEnded, 300_000);
  const publishedAfterFreeing = secondsSince(freedAt);
  expect(state.failure).toBeUndefined();
  await expectPublishedOnce(stack, 'tempered/canary', state.published!.digest);
  const final = storeProblems(stack.config);
  expect(final.problems).toEqual([]);
  expect(final.leftovers).toEqual([]);

  const records = await activityRecords(stack.client, WORKFLOW);
  expect(records.resolveLock).toMatchObject({ completed: 1 });
  expect(records.buildImage).toMatchObject({ completed: 1 });
  recordOutcome('disk-full', {
    seconds: secondsSince(t0),
    tmpfs: SIZE,
    resolveFailure: noSpace.activity?.lastFailure,
    buildFailure: noRoom.activity?.lastFailure,
    attempts: { resolveLock: records.resolveLock?.attempts, buildImage: records.buildImage?.attempts },
    publishedSecondsAfterFreeing: publishedAfterFreeing,
    storesAfterRecovery: { blobs: final.blobs, locks: final.locks },
  });
});
