/**
 * An archive state never goes back, and a version never does without a
 * person saying so. A local signed apt repository serves the canary image's
 * package; its indexes are saved, a newer version is published and the image
 * patched, then the saved (older, still validly signed) indexes are served
 * again, as an attacker replaying them would: the resolve refuses them, the
 * published image stays, and once the mirror is current again the image is
 * up to date. Then the newer version is withdrawn for real (a newer archive
 * state that resolves an older version): the cycle refuses the downgrade
 * until on-call allows it with a reason, recorded in the cycle.
 */
import { createContext } from '../../lib/context';
import { packagesOfImage } from '../../client/imageContents';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { imageStatus } from '../../client/status';
import { rebuildUpdate } from '../../workflows/messages';
import { cliEnv, runCli } from '../support/cli';
import { startStack, type Stack } from '../support/stack';
import { CANARY_DEFINITION, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { until, waitForState } from '../support/wait';

jest.setTimeout(600_000);

const WORKFLOW = 'image:canary:bookworm:runtime';
let upstream: Upstream;
let stack: Stack;

beforeAll(async () => {
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  stack = await startStack({ env: { TEMPERED_CATALOG_DIR: writeCatalog({ canary: CANARY_DEFINITION }), TEMPERED_ARCHIVE: upstream.archive } });
  await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'canary', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 0 });
});
afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

const canaryIn = async (digest: string) => (await packagesOfImage(createContext(stack.config), 'tempered/canary', digest)).find((p) => p.name === 'tempered-canary')?.version;
const rebuild = (note: string) => stack.client.workflow.getHandle(WORKFLOW).executeUpdate(rebuildUpdate, { args: [{ by: 'archive replay test', note }] });
const idle = (after: number) => waitForState(stack.client, WORKFLOW, (s) => (s.nextCycle > after && !s.current) || s.phase === 'failed');

test('a replayed older archive state is refused: nothing is resolved from it, the published image stays', async () => {
  await waitForState(stack.client, WORKFLOW, (s) => !!s.published && !s.current);
  const replay = await upstream.repo.saveIndexes();
  // Release Dates have one-second resolution: the newer state must carry a later one.
  await new Promise((r) => setTimeout(r, 1100));
  await upstream.repo.publish([canaryPackage('1.0-2')]);
  const { cycle } = await rebuild('take 1.0-2');
  const patched = await idle(cycle);
  expect(await canaryIn(patched.published!.digest)).toBe('1.0-2');
  expect(Object.keys(patched.trustedReleases ?? {})).toEqual(expect.arrayContaining([`${upstream.repo.url} ${upstream.repo.suite}`]));

  await replay();
  const { cycle: replayed } = await rebuild('during the replay');
  const status = await until('resolve refusing the replayed archive', async () => {
    const s = await imageStatus(stack.client, WORKFLOW, true);
    return s.activity?.type === 'resolveLock' && s.activity.lastFailure?.includes('ARCHIVE_OLDER_THAN_TRUSTED') ? s : undefined;
  }, 120_000);
  expect(status.activity?.lastFailure).toContain(`the archive offers ${upstream.repo.suite} as of`);
  expect(status.state?.published?.digest).toBe(patched.published!.digest);

  // The mirror is current again: the retrying resolve goes through, and there is nothing to build.
  await upstream.repo.publish([canaryPackage('1.0-3')]);
  const settled = await idle(replayed);
  expect(settled.failure).toBeUndefined();
  expect(await canaryIn(settled.published!.digest)).toBe('1.0-3');
});

test('a newer archive state that resolves an older version refuses the downgrade until on-call allows it, with who and why', async () => {
  const before = await waitForState(stack.client, WORKFLOW, (s) => !!s.published && !s.current);
  await upstream.repo.remove('tempered-canary', '1.0-3');
  const { cycle } = await rebuild('after the withdrawal');
  const failed = await waitForState(stack.client, WORKFLOW, (s) => s.phase === 'failed' || (s.nextCycle > cycle && !s.current));
  expect(failed.failure).toEqual(expect.objectContaining({ stage: 'resolving', type: 'DowngradeRefused' }));
  expect(failed.failure?.message).toContain('tempered-canary 1.0-3 -> 1.0-2');
  expect(failed.published?.digest).toBe(before.published?.digest);

  const retried = await runCli(['retry', 'canary', '--by', 'alice', '--allow-downgrade', '1.0-3 was withdrawn upstream', '--wait', '--json'], cliEnv(stack.config));
  expect(retried.code).toBe(0);
  const after = await waitForState(stack.client, WORKFLOW, (s) => !s.current && s.published?.digest !== before.published?.digest);
  expect(await canaryIn(after.published!.digest)).toBe('1.0-2');
  expect(after.cycles.at(-1)?.reasons).toEqual(expect.arrayContaining([{ kind: 'downgrade-allowed', by: 'alice', reason: '1.0-3 was withdrawn upstream' }]));
});
