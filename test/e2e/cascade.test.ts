/**
 * The cascade end to end, real parts only: an advisory patches `base`, the
 * base cycle publishes a new digest, and its cascade children rebuild every
 * customization on it, each on the new base digest (annotations and SLSA
 * provenance say so, and the image verifies), while a customization on
 * another base is left alone. Re-sending the advisory and restarting the
 * workers mid-cascade build nothing twice; a customization whose test fails
 * waits for on-call without holding up the others, and `retry` publishes it
 * once its definition is fixed. Customizations with a path traversal, a bad
 * mode, an unknown package or an unknown owner are refused before any build.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { verifyImage } from '../../lib/signing/verify';
import { createContext } from '../../lib/context';
import { Annotation, type ImageManifest } from '../../domain/oci/image';
import type { PatchState } from '../../domain/patch/state';
import { advisorySignal, baseChangedSignal, retryUpdate, stateQuery } from '../../workflows/messages';
import {
  BASE_DEFINITION, buildCounts, extraPackage, OTHER_DEFINITION, provenanceOf, simpleCustomization, throwawayCa, writeCustomization,
} from '../support/customizations';
import { startStack, type Stack } from '../support/stack';
import { canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { waitForState } from '../support/wait';

jest.setTimeout(1_800_000);

const ON_BASE = ['app-one', 'app-two', 'app-three'];
const ON_OTHER = 'app-other';
/** Invalid customizations on `other`: each must fail at resolve, naming its file, field and problem, and never build. */
const INVALID: Record<string, { yaml: string; problem: RegExp }> = {
  'bad-path': {
    yaml: 'files:\n  - { path: ../../etc/shadow, content: "root::0:0:99999:7:::" }\n',
    problem: /bad-path\.yaml: files\[0\]\.path: must be an absolute path/,
  },
  'bad-mode': {
    yaml: 'files:\n  - { path: /etc/app.conf, content: x, mode: "4755" }\n',
    problem: /bad-mode\.yaml: files\[0\]\.mode: must be an octal mode .*no setuid/,
  },
  'bad-package': {
    yaml: 'packages: [libc6, tempered-no-such-package]\n',
    problem: /bad-package\.yaml: packages\[1\]: no Debian package named "tempered-no-such-package"/,
  },
  'bad-owner': {
    yaml: 'files:\n  - { path: /etc/app.conf, content: x, uid: www-data }\n',
    problem: /bad-owner\.yaml: files\[0\]\.uid: unknown user "www-data"/,
  },
};
/** Customizations that resolve but break the runtime policy: refused at build, naming what, where and who brought it. */
const POLICY: Record<string, { yaml: string; problem: string }> = {
  // busybox is a shell with applet links; mount is setuid root. Published before the policy judged content.
  'with-busybox': { yaml: 'packages: [busybox, mount]\n', problem: 'package busybox puts /bin/busybox in a runtime image: busybox is a shell or a package manager by name' },
  'with-shell-file': {
    yaml: 'files:\n  - { path: /opt/tools/helper, source: helper, mode: "0755" }\n',
    problem: 'the definition puts /opt/tools/helper in a runtime image: an ELF file that is BusyBox (a shell and its applets) by content',
  },
};
const invalidCustomization = (name: string, body: string) =>
  `name: ${name}\ndescription: invalid on purpose\nbase: { image: other, variant: runtime }\ntagSuffix: ${name}\n${body}`;
const custom = (name: string) => `custom:${name}`;
const BASE = 'image:base:bookworm:runtime';

const APP_TWO = `
name: app-two
description: a service with its own user, an extra package and a private CA
base: { image: base, variant: runtime }
tagSuffix: app-two
packages: [tempered-extra]
certificates: [{ name: example-test-ca, source: app-two/ca.pem }]
accounts:
  groups: [{ name: svc, gid: 10001 }]
  users: [{ name: svc, uid: 10001, gid: 10001, home: /var/lib/svc }]
  runAs: svc
files:
  - { path: /var/lib/svc/token, source: app-two/token, uid: svc, mode: "0600" }
tests:
  - name: the extra package is installed
    file: /usr/share/tempered-extra/hello
  - name: runs as svc
    metadata: { user: "10001:10001" }
`;

let upstream: Upstream;
let stack: Stack;
let catalogDir: string;

beforeAll(async () => {
  upstream = await startUpstream([canaryPackage('1.0-1'), extraPackage('1.0-1')]);
  catalogDir = writeCatalog({ base: BASE_DEFINITION, other: OTHER_DEFINITION });
  writeCustomization(catalogDir, 'app-one', simpleCustomization('app-one'));
  fs.mkdirSync(path.join(catalogDir, 'customizations', 'app-two'));
  fs.writeFileSync(path.join(catalogDir, 'customizations', 'app-two', 'ca.pem'), throwawayCa('tempered cascade test CA'));
  fs.writeFileSync(path.join(catalogDir, 'customizations', 'app-two', 'token'), 'not-a-secret\n');
  writeCustomization(catalogDir, 'app-two', APP_TWO);
  writeCustomization(catalogDir, 'app-three', simpleCustomization('app-three'));
  writeCustomization(catalogDir, ON_OTHER, simpleCustomization(ON_OTHER, 'other'));
  for (const [name, { yaml }] of Object.entries({ ...INVALID, ...POLICY })) writeCustomization(catalogDir, name, invalidCustomization(name, yaml));
  // A shell binary renamed: only its content says what it is.
  fs.mkdirSync(path.join(catalogDir, 'customizations', 'with-shell-file'));
  fs.copyFileSync('/bin/busybox', path.join(catalogDir, 'customizations', 'with-shell-file', 'helper'));
  stack = await startStack({ env: { TEMPERED_CATALOG_DIR: catalogDir, TEMPERED_ARCHIVE: upstream.archive } });
  // Only the catalog images are started: their first publish cascades to the customizations, which starts their workflows.
  await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 1 });
  await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'other', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 1 });
});
afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
  if (catalogDir) fs.rmSync(catalogDir, { recursive: true, force: true });
});

const state = (id: string) => stack.client.workflow.getHandle(id).query(stateQuery);

/** The base published a digest other than `previous` and its cascade coordinator reported every customization's answer. */
const cascadeFinished = (previous: string) =>
  waitForState(stack.client, BASE, (s) => s.phase === 'failed' || (s.phase === 'idle' && s.published?.digest !== previous && s.cascade?.baseDigest === s.published?.digest && !!s.cascade?.finished));
const published = (id: string, unlike?: string) =>
  waitForState(stack.client, id, (s) => (!!s.published && s.published.digest !== unlike && s.phase !== 'publishing' && !s.current) || s.phase === 'failed');

/** The image is built on `baseDigest`: its state, manifest annotations and signed provenance all say so, and it verifies. */
async function expectBuiltOn(s: PatchState, baseDigest: string): Promise<void> {
  expect(s.failure).toBeUndefined();
  expect(s.published?.baseDigest).toBe(baseDigest);
  const ctx = createContext(stack.config);
  const digest = s.published!.digest;
  const manifest = JSON.parse((await ctx.registry.getManifest('tempered/base', digest))!.body.toString('utf8')) as ImageManifest;
  expect(manifest.annotations?.[Annotation.baseDigest]).toBe(baseDigest);
  expect(manifest.annotations?.[Annotation.baseName]).toBe(`${stack.registry.host}/tempered/base:bookworm`);
  const provenance = await provenanceOf(ctx.registry, 'tempered/base', digest);
  expect(provenance.buildDefinition.resolvedDependencies[0]).toEqual({
    uri: `oci://${stack.registry.host}/tempered/base:bookworm`, digest: { sha256: baseDigest.slice(7) }, name: 'base-image',
  });
  const report = await verifyImage({ registry: ctx.registry, repository: 'tempered/base', reference: digest, publicKeyPem: fs.readFileSync(stack.config.publicKeyPath) });
  expect(report.digest).toBe(digest);
}

const advisory = (id: string, fixedVersion: string) => ({ id, source: 'tempered-canary', fixedVersion, severity: 'high' });

let firstBase: string;
let olderBase = '';
const firstDigests: Record<string, string> = {};

test('the first publish of each base cascades to its customizations, each built on it and verifiable', async () => {
  const base = await published(BASE);
  expect(base.failure).toBeUndefined();
  firstBase = base.published!.digest;
  for (const name of ON_BASE) {
    const s = await published(custom(name));
    await expectBuiltOn(s, firstBase);
    firstDigests[name] = s.published!.digest;
  }
  const other = await published(custom(ON_OTHER));
  expect(other.failure).toBeUndefined();
  firstDigests[ON_OTHER] = other.published!.digest;

  // app-two: its own user, its package, its CA appended to the bundle.
  const ctx = createContext(stack.config);
  const manifest = ctx.blobs.readJson<ImageManifest>(firstDigests['app-two'] as string);
  const config = ctx.blobs.readJson<{ config: { User: string } }>(manifest.config.digest);
  expect(config.config.User).toBe('10001:10001');
  const lock = JSON.parse(fs.readFileSync(path.join(catalogDir, 'customizations', 'app-two.lock.json'), 'utf8')) as { packages: { name: string }[] };
  expect(lock.packages.map((p) => p.name)).toEqual(['tempered-extra']);
});

test('an advisory on base publishes a new base, then every customization on it; a worker restart and a repeat build nothing twice', async () => {
  const before = await buildCounts(stack.client, [BASE, ...ON_BASE.map(custom), custom(ON_OTHER)]);
  const otherCycles = (await state(custom(ON_OTHER))).nextCycle;

  await upstream.repo.publish([canaryPackage('1.0-2')]);
  await stack.client.workflow.getHandle(BASE).signal(advisorySignal, advisory('CVE-2099-1001', '1.0-2'));
  // Restart the workers while the cascade runs.
  await waitForState(stack.client, BASE, (s) => s.published?.digest !== firstBase && (s.cascade?.running.length ?? 0) > 0);
  await stack.restartWorkers();

  const base = await cascadeFinished(firstBase);
  expect(base.failure).toBeUndefined();
  const newBase = base.published!.digest;
  const cycle = base.cycles.at(-1);
  expect(cycle?.cascade).toEqual(expect.objectContaining({ baseDigest: newBase, total: 3, done: 3, failed: [] }));

  for (const name of ON_BASE) {
    const s = await published(custom(name), firstDigests[name]);
    expect(s.published!.digest).not.toBe(firstDigests[name]);
    await expectBuiltOn(s, newBase);
  }
  const other = await state(custom(ON_OTHER));
  expect(other.published?.digest).toBe(firstDigests[ON_OTHER]);
  expect(other.nextCycle).toBe(otherCycles);

  // The same advisory again: deduplicated by the base workflow, no cycle, no cascade.
  const settledCycles = (await state(BASE)).nextCycle;
  await stack.client.workflow.getHandle(BASE).signal(advisorySignal, advisory('CVE-2099-1001', '1.0-2'));
  await new Promise((r) => setTimeout(r, 5000));
  expect((await state(BASE)).nextCycle).toBe(settledCycles);

  const after = await buildCounts(stack.client, [BASE, ...ON_BASE.map(custom), custom(ON_OTHER)]);
  expect(after).toEqual({
    [BASE]: (before[BASE] ?? 0) + 1,
    ...Object.fromEntries(ON_BASE.map((n) => [custom(n), (before[custom(n)] ?? 0) + 1])),
    [custom(ON_OTHER)]: before[custom(ON_OTHER)],
  });
  for (const name of ON_BASE) firstDigests[name] = (await state(custom(name))).published!.digest;
  olderBase = firstBase;
  firstBase = newBase;
});

test('a baseChanged signal naming an older base, or a signed digest of something else in the repository, is refused and recorded', async () => {
  const id = custom('app-one');
  const before = await published(id);
  expect(before.published?.baseDigest).toBe(firstBase);
  const attempts = [
    { digest: olderBase, why: `older than cycle` },
    // Signed by our key, in the base's repository, with provenance: but it is app-two, not base.
    { digest: firstDigests['app-two'] as string, why: 'its provenance names app-two bookworm runtime, not base bookworm runtime' },
  ];
  for (const { digest, why } of attempts) {
    const rejectedBefore = (await state(id)).rejectedCount ?? 0;
    await stack.client.workflow.getHandle(id).signal(baseChangedSignal, { baseDigest: digest });
    const s = await waitForState(stack.client, id, (st) => (st.rejectedCount ?? 0) > rejectedBefore && !st.current);
    expect(s.rejected.at(-1)?.reason).toContain(`baseChanged: refusing ${stack.registry.host}/tempered/base@${digest} as the base: `);
    expect(s.rejected.at(-1)?.reason).toContain(why);
    expect(s.cycles.at(-1)?.outcome).toBe('base-refused');
    expect(s.published?.digest).toBe(before.published?.digest);
    expect(s.published?.baseDigest).toBe(firstBase);
    expect(s.baseDigest).toBe(firstBase);
  }
});

test('a customization failing its test waits for on-call while the others publish; retry publishes it once fixed', async () => {
  const file = path.join(catalogDir, 'customizations', 'app-three.yaml');
  const good = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, good + '  - name: a file nobody wrote\n    file: /etc/app-three/missing.toml\n');

  await upstream.repo.publish([canaryPackage('1.0-3')]);
  await stack.client.workflow.getHandle(BASE).signal(advisorySignal, advisory('CVE-2099-1002', '1.0-3'));
  const base = await cascadeFinished(firstBase);
  expect(base.failure).toBeUndefined();
  const newBase = base.published!.digest;
  expect(base.cycles.at(-1)?.cascade).toEqual(expect.objectContaining({ total: 3, done: 3, failed: [expect.stringMatching(/^app-three: failed/)] }));

  for (const name of ['app-one', 'app-two']) await expectBuiltOn(await published(custom(name), firstDigests[name]), newBase);
  const failed = await waitForState(stack.client, custom('app-three'), (s) => s.phase === 'failed');
  expect(failed.failure).toEqual(expect.objectContaining({ stage: 'testing', type: 'ImageTestFailed' }));
  expect(failed.failure?.message).toMatch(/a file nobody wrote/);
  expect(failed.published?.digest).toBe(firstDigests['app-three']);

  fs.writeFileSync(file, good);
  await stack.client.workflow.getHandle(custom('app-three')).executeUpdate(retryUpdate, { args: [{ by: 'cascade test' }] });
  const fixed = await published(custom('app-three'), firstDigests['app-three']);
  await expectBuiltOn(fixed, newBase);
});

test('a path traversal, a bad mode, an unknown package or an unknown owner is refused before any build, naming file, field and problem; a shell, by name or content, before anything is published', async () => {
  for (const [name, { problem }] of Object.entries(INVALID)) {
    const s = await waitForState(stack.client, custom(name), (st) => st.phase === 'failed');
    expect(s.failure).toEqual(expect.objectContaining({ stage: 'resolving', activity: 'resolveLock', type: 'InvalidDefinition' }));
    expect(s.failure?.message).toMatch(problem);
    expect(s.published).toBeUndefined();
  }
  expect(await buildCounts(stack.client, Object.keys(INVALID).map(custom))).toEqual(Object.fromEntries(Object.keys(INVALID).map((n) => [custom(n), 0])));
  for (const [name, { problem }] of Object.entries(POLICY)) {
    const s = await waitForState(stack.client, custom(name), (st) => st.phase === 'failed');
    expect(s.failure).toEqual(expect.objectContaining({ stage: 'building', activity: 'buildImage', type: 'RuntimePolicyViolation', message: problem }));
    expect(s.published).toBeUndefined();
  }
  // The other customization on the same base was published all the same.
  expect((await state(custom(ON_OTHER))).published).toBeDefined();
});
