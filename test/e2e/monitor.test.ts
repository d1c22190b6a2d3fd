/**
 * No fix yet, then the fix arrives: end to end with real parts only (Temporal
 * dev server, registry, dockerd, the Debian archive plus a local signed apt
 * repository, the real build pipeline) and no manual signal in between.
 *
 * A tracker feed says CVE-2099-0100 in tempered-canary is fixed in 1.0-2
 * while the archive offers only 1.0-1: the monitor's poll signals the image,
 * which shows the advisory waiting. The test publishes 1.0-2 into the local
 * repository; the next poll nudges the image, which resolves, builds, tests,
 * signs and publishes an image holding 1.0-2. A further poll signals nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createContext } from '../../lib/context';
import { packagesOfImage } from '../../client/imageContents';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { ensureMonitorSchedule, monitorRunReport, triggerMonitor } from '../../client/monitorSchedule';
import { startStack, type Stack } from '../support/stack';
import { CANARY_DEFINITION, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { waitForState } from '../support/wait';

jest.setTimeout(900_000);

const WORKFLOW = 'image:canary:bookworm:runtime';


let upstream: Upstream;
let stack: Stack;
let feedDir: string;

beforeAll(async () => {
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  stack = await startStack({ env: { TEMPERED_CATALOG_DIR: writeCatalog({ canary: CANARY_DEFINITION }), TEMPERED_ARCHIVE: upstream.archive } });

  feedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-feed-'));
  const feed = { 'tempered-canary': { 'CVE-2099-0100': { releases: { bookworm: { status: 'resolved', fixed_version: '1.0-2', urgency: 'high' } } } } };
  fs.writeFileSync(path.join(feedDir, 'tracker.json'), JSON.stringify(feed));
  await ensureMonitorSchedule(stack.client, stack.config, { intervalMs: 3_600_000, feeds: [path.join(feedDir, 'tracker.json')] });
});

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
  if (feedDir) fs.rmSync(feedDir, { recursive: true, force: true });
});

const poll = async () => monitorRunReport(stack.client, await triggerMonitor(stack.client, { timeoutMs: 120_000 }));

const installedCanary = async (digest: string) =>
  (await packagesOfImage(createContext(stack.config), 'tempered/canary', digest)).find((p) => p.name === 'tempered-canary')?.version;

test('an advisory waits for its fix, and the image patches itself when the fix reaches the archive', async () => {
  await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'canary', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 1 });
  const first = await waitForState(stack.client, WORKFLOW, (s) => (!!s.published && s.phase === 'idle') || s.phase === 'failed');
  expect(first.failure).toBeUndefined();
  expect(await installedCanary(first.published!.digest)).toBe('1.0-1');

  // No fix in the archive yet: the image shows the advisory pending, waiting for it.
  const announced = await poll();
  expect(announced.advisories).toMatchObject({ sent: 1, nudged: 0 });
  const waiting = await waitForState(stack.client, WORKFLOW, (s) => s.phase === 'waiting-for-fix' || s.phase === 'failed');
  expect(waiting.waiting).toEqual([expect.objectContaining({ advisory: expect.objectContaining({ id: 'CVE-2099-0100' }), why: 'fix 1.0-2 not in the archive yet (newest 1.0-1)' })]);
  expect(waiting.published!.digest).toBe(first.published!.digest);

  // The fix is published upstream; the next poll sees it (the shared archive load re-checks InRelease).
  await upstream.repo.publish([canaryPackage('1.0-2')]);
  const arrived = await poll();
  expect(arrived.advisories).toMatchObject({ sent: 0, nudged: 1 });
  expect(arrived.upstream.sent).toBe(1);

  const patched = await waitForState(stack.client, WORKFLOW, (s) => (s.published?.digest !== first.published!.digest && s.phase === 'idle') || s.phase === 'failed');
  expect(patched.failure).toBeUndefined();
  expect(await installedCanary(patched.published!.digest)).toBe('1.0-2');
  expect(patched.waiting).toEqual([]);
  expect(patched.handled).toEqual([expect.objectContaining({ verdict: expect.objectContaining({ status: 'fixed', version: '1.0-2' }) })]);

  const quiet = await poll();
  expect(quiet.advisories).toMatchObject({ affecting: 0, sent: 0, nudged: 0 });
  expect(quiet.upstream.sent).toBe(0);
  expect(quiet.signalled).toEqual([]);
});
