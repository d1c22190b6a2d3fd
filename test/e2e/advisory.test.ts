/**
 * An advisory patches a published image, end to end with real parts: the
 * local signed apt repository publishes the fix, `tempered advisory submit`
 * decides the image is affected and signals it, the workflow resolves, builds,
 * tests, signs and publishes a new digest holding the fixed version. A second
 * identical submission rebuilds nothing; malformed advisories are refused
 * with a reason and the workflow keeps running.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImageManifest } from '../../domain/oci/image';
import { createContext } from '../../lib/context';
import { packagesOfImage } from '../../client/imageContents';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { advisorySignal, stateQuery } from '../../workflows/messages';
import { cliEnv, runCli } from '../support/cli';
import { startStack, type Stack } from '../support/stack';
import { CANARY_DEFINITION, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { waitForState } from '../support/wait';

jest.setTimeout(900_000);

const WORKFLOW = 'image:canary:bookworm:runtime';
let upstream: Upstream;
let stack: Stack;
let env: Record<string, string>;
const advisoryFile = (content: unknown) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-advisory-')), 'advisory.json');
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
};

beforeAll(async () => {
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  stack = await startStack({ env: { TEMPERED_CATALOG_DIR: writeCatalog({ canary: CANARY_DEFINITION }), TEMPERED_ARCHIVE: upstream.archive } });
  env = cliEnv(stack.config);
  await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'canary', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 1 });
});
afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

const installedCanary = async (digest: string) => {
  const packages = await packagesOfImage(createContext(stack.config), 'tempered/canary', digest);
  return packages.find((p) => p.name === 'tempered-canary')?.version;
};

test('an advisory whose fix the archive offers publishes a new digest with the fixed version', async () => {
  const first = await waitForState(stack.client, WORKFLOW, (s) => !!s.published || s.phase === 'failed');
  expect(first.failure).toBeUndefined();
  expect(await installedCanary(first.published!.digest)).toBe('1.0-1');

  await upstream.repo.publish([canaryPackage('1.0-2')]);
  const advisory = { id: 'CVE-2099-0001', source: 'tempered-canary', fixedVersion: '1.0-2', severity: 'high' };
  const submitted = await runCli(['advisory', 'submit', advisoryFile(advisory), '--json'], env);
  expect(submitted.stderr).toBe('');
  expect(submitted.code).toBe(0);
  expect(JSON.parse(submitted.stdout)).toEqual([expect.objectContaining({ image: 'canary:bookworm', verdict: 'affected', action: 'signalled' })]);

  const patched = await waitForState(stack.client, WORKFLOW, (s) => (!!s.published && s.published.digest !== first.published!.digest) || s.phase === 'failed');
  expect(patched.failure).toBeUndefined();
  expect(await installedCanary(patched.published!.digest)).toBe('1.0-2');
  expect(patched.handled).toEqual([expect.objectContaining({ verdict: expect.objectContaining({ status: 'fixed', version: '1.0-2' }) })]);

  // Layered by origin: the patch of one source package changed one layer blob; the others are the same digests.
  const layersOf = async (digest: string) => {
    const fetched = await createContext(stack.config).registry.getManifest('tempered/canary', digest);
    return (JSON.parse(fetched!.body.toString('utf8')) as ImageManifest).layers.map((l) => l.digest);
  };
  const [before, after] = [await layersOf(first.published!.digest), await layersOf(patched.published!.digest)];
  expect(before.length).toBeGreaterThan(2);
  expect(after.filter((d) => !before.includes(d))).toHaveLength(1);
  expect(before.filter((d) => !after.includes(d))).toHaveLength(1);
  const afterPatch = await waitForState(stack.client, WORKFLOW, (s) => s.phase === 'idle');

  // The same advisory again: the CLI sees the image already fixed, and a raw signal is deduplicated.
  const again = await runCli(['advisory', 'submit', advisoryFile(advisory), '--json'], env);
  expect(JSON.parse(again.stdout)).toEqual([expect.objectContaining({ verdict: 'fixed-in-image' })]);
  await stack.client.workflow.getHandle(WORKFLOW).signal(advisorySignal, advisory);
  await new Promise((r) => setTimeout(r, 3000));
  const settled = await stack.client.workflow.getHandle(WORKFLOW).query(stateQuery);
  expect(settled.nextCycle).toBe(afterPatch.nextCycle);
  expect(settled.published!.digest).toBe(patched.published!.digest);
});

test('malformed advisories are refused with the field and the reason, and the workflow keeps running', async () => {
  const missing = await runCli(['advisory', 'submit', advisoryFile({ id: 'CVE-2099-0002', fixedVersion: '1.0-3' })], env);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/source: is required/);

  const badVersion = await runCli(['advisory', 'submit', advisoryFile({ id: 'CVE-2099-0003', source: 'tempered-canary', fixedVersion: 'one point oh' })], env);
  expect(badVersion.code).toBe(2);
  expect(badVersion.stderr).toMatch(/fixedVersion: .*one point oh/);

  const unknown = await runCli(['advisory', 'submit', advisoryFile({ id: 'CVE-2099-0004', source: 'no-such-source-package', fixedVersion: '1.0' })], env);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/unknown Debian source package "no-such-source-package"/);

  // A raw signal bypassing the CLI is validated by the workflow itself and recorded, never thrown.
  const handle = stack.client.workflow.getHandle(WORKFLOW);
  await handle.signal(advisorySignal, { id: 'CVE-2099-0005', source: 'tempered-canary', fixedVersion: 'not a version!' });
  const state = await waitForState(stack.client, WORKFLOW, (s) => s.rejected.some((r) => r.id === 'CVE-2099-0005'));
  expect(state.rejected.find((r) => r.id === 'CVE-2099-0005')?.reason).toMatch(/fixedVersion/);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  expect(state.pending).toEqual([]);
});
