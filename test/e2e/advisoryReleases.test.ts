/**
 * One fix, two releases, two days: the advisory e2e against both Debian
 * releases, with real parts. The image `duo` is built for trixie and
 * bookworm, each from its own release's suites: the real archive plus a
 * local signed repository per release, named as that release's security
 * suite (`trixie-security`, `bookworm-security`) so each release reads only
 * its own. The advisory gives the fix as two uploads; trixie's is published,
 * bookworm's not yet: the trixie image patches, the bookworm one waits for
 * its fix and keeps its digest, and neither hears the other release's record.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createContext } from '../../lib/context';
import { defaultArchiveSources } from '../../lib/archive/sources';
import { packagesOfImage } from '../../client/imageContents';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { cliEnv, runCli } from '../support/cli';
import { type AptRepo, createAptRepo } from '../support/aptRepo';
import { startStack, type Stack } from '../support/stack';
import { canaryDefinition, canaryPackage, writeCatalog } from '../support/upstream';
import { waitForState } from '../support/wait';

jest.setTimeout(900_000);

const TRIXIE = 'image:duo:trixie:runtime';
const BOOKWORM = 'image:duo:bookworm:runtime';
let dir: string;
let repos: { trixie: AptRepo; bookworm: AptRepo };
let stack: Stack;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-releases-'));
  const repo = async (suite: string) => createAptRepo({ dir: fs.mkdtempSync(path.join(dir, `${suite}-`)), suite });
  repos = { trixie: await repo('trixie-security'), bookworm: await repo('bookworm-security') };
  for (const r of Object.values(repos)) await r.publish([canaryPackage('1.0-1')]);
  const local = Object.values(repos).map((r) => ({ uri: r.url, suites: [r.suite], keyring: r.keyringPath }));
  const archive = [...(await defaultArchiveSources({ codename: 'trixie' })), ...(await defaultArchiveSources({ codename: 'bookworm' })), ...local];
  stack = await startStack({ env: { TEMPERED_CATALOG_DIR: writeCatalog({ duo: canaryDefinition('duo', ['trixie', 'bookworm']) }), TEMPERED_ARCHIVE: JSON.stringify(archive) } });
  for (const release of ['trixie', 'bookworm'] as const) {
    await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'duo', release, variant: 'runtime' }, { debounceSeconds: 1 });
  }
});
afterAll(async () => {
  await stack?.stop();
  for (const r of Object.values(repos ?? {})) await r.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const installedCanary = async (digest: string) =>
  (await packagesOfImage(createContext(stack.config), 'tempered/duo', digest)).find((p) => p.name === 'tempered-canary')?.version;

test('a fix in trixie and not yet in bookworm patches the trixie image and leaves the bookworm one waiting', async () => {
  const before = {
    trixie: await waitForState(stack.client, TRIXIE, (s) => !!s.published || s.phase === 'failed'),
    bookworm: await waitForState(stack.client, BOOKWORM, (s) => !!s.published || s.phase === 'failed'),
  };
  expect([before.trixie.failure, before.bookworm.failure]).toEqual([undefined, undefined]);
  expect(before.trixie.published?.reference).toBe(`${stack.registry.host}/tempered/duo:trixie`);
  expect(before.bookworm.published?.reference).toBe(`${stack.registry.host}/tempered/duo:bookworm`);
  expect(await installedCanary(before.trixie.published!.digest)).toBe('1.0-1');

  // The same CVE fixed by two uploads; only trixie's is in its archive today.
  await repos.trixie.publish([canaryPackage('1.0-1+deb13u1')]);
  const file = path.join(dir, 'advisories.json');
  fs.writeFileSync(file, JSON.stringify([
    { id: 'CVE-2099-0013', source: 'tempered-canary', fixedVersion: '1.0-1+deb13u1', release: 'trixie', severity: 'high' },
    { id: 'CVE-2099-0013', source: 'tempered-canary', fixedVersion: '1.0-1+deb12u1', release: 'bookworm', severity: 'high' },
  ]));
  const submitted = await runCli(['advisory', 'submit', file, '--json'], cliEnv(stack.config));
  expect(submitted.stderr).toBe('');
  const rows = JSON.parse(submitted.stdout) as { image: string; release: string; verdict: string; action: string }[];
  const row = (image: string, release: string) => rows.find((r) => r.image === image && r.release === release);
  expect(row('duo:trixie', 'trixie')).toMatchObject({ verdict: 'affected', action: 'signalled' });
  expect(row('duo:bookworm', 'bookworm')).toMatchObject({ verdict: 'affected', action: 'signalled' });
  expect(row('duo:trixie', 'bookworm')).toMatchObject({ verdict: 'other-release' });
  expect(row('duo:bookworm', 'trixie')).toMatchObject({ verdict: 'other-release' });

  const patched = await waitForState(stack.client, TRIXIE, (s) => (!!s.published && s.published.digest !== before.trixie.published!.digest) || s.phase === 'failed');
  expect(patched.failure).toBeUndefined();
  expect(await installedCanary(patched.published!.digest)).toBe('1.0-1+deb13u1');
  expect(patched.handled).toEqual([expect.objectContaining({ advisory: expect.objectContaining({ release: 'trixie' }), verdict: expect.objectContaining({ status: 'fixed', version: '1.0-1+deb13u1' }) })]);

  const waiting = await waitForState(stack.client, BOOKWORM, (s) => s.waiting.length > 0 || s.phase === 'failed');
  expect(waiting.phase).toBe('waiting-for-fix');
  expect(waiting.waiting).toEqual([expect.objectContaining({ advisory: expect.objectContaining({ release: 'bookworm', fixedVersion: '1.0-1+deb12u1' }), why: expect.stringMatching(/not in the archive yet/) })]);
  expect(waiting.published?.digest).toBe(before.bookworm.published!.digest);
  expect(await installedCanary(waiting.published!.digest)).toBe('1.0-1');

  // A raw signal of the other release's record is refused by the workflow itself, with its reason.
  const handle = stack.client.workflow.getHandle(BOOKWORM);
  await handle.signal('advisory', { id: 'CVE-2099-0014', aliases: [], source: 'tempered-canary', fixedVersion: '1.0-1+deb13u2', status: 'fixed', severity: 'high', origin: 'cli', release: 'trixie' });
  const refused = await waitForState(stack.client, BOOKWORM, (s) => s.rejected.some((r) => r.id === 'CVE-2099-0014'));
  expect(refused.rejected.find((r) => r.id === 'CVE-2099-0014')?.reason).toMatch(/about trixie; this image is built on bookworm/);
});
