/**
 * The customization builder on a synthetic base image (one layer written by
 * the real layer writer): same inputs give the same digest even from a cold
 * build, the base's layers are reused by digest, and the new layer merges
 * what it must (accounts, CA bundle, files with owner and mode).
 */
import { PLATFORMS } from '../../../domain/platform';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DefinitionSchema } from '../../../domain/catalog/definition';
import { effectiveSpec } from '../../../domain/catalog/effective';
import { mergeAccounts, parseGroup, parsePasswd } from '../../../domain/catalog/accounts';
import type { CustomLock } from '../../../domain/customization/lock';
import { CustomizationSchema } from '../../../domain/customization/schema';
import { Annotation, type ImageManifest, imageConfigJson, imageManifestJson } from '../../../domain/oci/image';
import { MediaType } from '../../../domain/oci/mediaTypes';
import type { CustomSubject } from '../../catalog/customSubject';
import { BlobStore } from '../../oci/blobStore';
import { createLayer } from '../../../test/support/dirLayer';
import { readBaseFilesystem } from './baseFilesystem';
import type { BaseImage } from './baseImage';
import type { BuildContext } from '../image';
import { buildCustomImage, type CustomBuildInput } from './image';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const EPOCH = 1_700_000_000;

/** A one-layer base: passwd/group with nonroot, a CA bundle, /tmp 1777, a merged-/usr /lib symlink. */
async function syntheticBase(store: BlobStore): Promise<BaseImage> {
  const root = tmp('tempered-base-');
  fs.mkdirSync(path.join(root, 'etc/ssl/certs'), { recursive: true });
  fs.mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
  fs.mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 });
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.symlinkSync('usr/lib', path.join(root, 'lib'));
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnonroot:x:65532:\n');
  fs.writeFileSync(path.join(root, 'etc/ssl/certs/ca-certificates.crt'), '# base bundle\n');
  const layer = await createLayer(root, EPOCH, store);
  const created = new Date(EPOCH * 1000).toISOString();
  const config = store.put(imageConfigJson({ platform: PLATFORMS.amd64, created, user: '65532:65532', env: { PATH: '/usr/bin' }, entrypoint: [], cmd: [], workdir: '/', labels: {}, diffIds: [layer.diffId], history: [{ created, createdBy: 'base' }] }));
  const manifest = store.put(imageManifestJson({ mediaType: MediaType.ociConfig, digest: config.digest, size: config.size }, [{ mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size }], {}));
  return {
    repository: 'tempered/base', tag: 'bookworm', digest: manifest.digest, name: '127.0.0.1:5000/tempered/base:bookworm',
    manifest: store.readJson<ImageManifest>(manifest.digest), config: store.readJson(config.digest), filesystem: await readBaseFilesystem(store, manifest.digest),
  };
}

function pemOfThrowawayCa(): string {
  const dir = tmp('tempered-ca-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-keyout', path.join(dir, 'k'), '-out', path.join(dir, 'c'), '-subj', '/CN=unit test CA', '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'ignore' });
  return fs.readFileSync(path.join(dir, 'c'), 'utf8');
}

async function inputFor(store: BlobStore): Promise<CustomBuildInput> {
  const base = await syntheticBase(store);
  const customization = CustomizationSchema.parse({
    name: 'app', description: 'unit', base: { image: 'base' }, tagSuffix: 'app',
    accounts: { groups: [{ name: 'svc', gid: 10001 }], users: [{ name: 'svc', uid: 10001, gid: 10001, home: '/var/lib/svc' }], runAs: 'svc' },
    files: [{ path: '/etc/app/config', content: 'x = 1\n', mode: '0640', uid: 'svc' }, { path: '/lib/app/plugin.so', content: 'ELF', mode: '0755' }],
    environment: { APP: '1' },
  });
  const accounts = mergeAccounts(
    { users: parsePasswd(base.filesystem.files['/etc/passwd'] ?? ''), groups: parseGroup(base.filesystem.files['/etc/group'] ?? '') },
    { users: customization.accounts?.users ?? [], groups: customization.accounts?.groups ?? [] },
  );
  const lock: CustomLock = {
    lockVersion: 1, customization: 'app', base: { image: 'base', variant: 'runtime' }, resolvedFrom: 'sha256:' + '0'.repeat(64), archives: [], packages: [], sourceDateEpoch: EPOCH + 60,
  };
  const baseSpec = effectiveSpec(DefinitionSchema.parse({ name: 'base', description: 'b', packages: { include: ['libc6'] } }), 'bookworm', 'runtime');
  const subject = { image: { kind: 'custom', name: 'app' }, loaded: { customization, file: '/x/app.yaml', dir: '/x' }, lockFile: '/x/app.lock.json', base: { spec: baseSpec, tag: 'bookworm' }, repository: 'tempered/base', tag: 'bookworm-app' } as unknown as CustomSubject;
  return {
    subject, base, lock, lockDigest: 'sha256:' + '1'.repeat(64), customization, prune: [], accounts, user: '10001:10001',
    certificates: [{ name: 'corp', pems: [pemOfThrowawayCa()] }], runtime: true,
    files: [
      { path: '/etc/app/config', content: Buffer.from('x = 1\n'), mode: '0640', uid: 10001, gid: 10001 },
      { path: '/lib/app/plugin.so', content: Buffer.from('ELF'), mode: '0755', uid: 0, gid: 0 },
    ],
  };
}

const context = (store: BlobStore): BuildContext => ({
  store, cacheDir: tmp('tempered-cache-'), progress: () => undefined,
  fetchDeb: () => Promise.reject(new Error('no packages in this test')),
  sandbox: () => { throw new Error('nothing runs sandboxed in this test'); },
});

/** Path -> "mode uid:gid" of every entry of a gzip layer, and the contents of the files asked for. */
function listLayer(store: BlobStore, digest: string): string[] {
  const out = execFileSync('tar', ['--list', '--verbose', '--numeric-owner', '--gzip', '--file', store.pathOf(digest)], { encoding: 'utf8' });
  return out.trim().split('\n').map((l) => {
    const [mode, owner, , , , ...rest] = l.split(/\s+/);
    return `${rest.join(' ')} ${mode} ${owner}`;
  });
}

test('same inputs give the same digest, even from a cold build on another store', async () => {
  const storeA = new BlobStore(tmp('tempered-blobs-'));
  const input = await inputFor(storeA);
  const first = await buildCustomImage(input, context(storeA));
  const again = await buildCustomImage(input, context(storeA));
  expect(again).toEqual(first);

  const storeB = new BlobStore(tmp('tempered-blobs-'));
  const cold = await buildCustomImage(await inputFor(storeB), context(storeB));
  // The throwaway CA differs per call: everything else equal, only because the certificate is part of the input.
  expect(cold.digest).not.toBe(first.digest);
  const sameCa = await buildCustomImage({ ...(await inputFor(storeB)), certificates: input.certificates }, context(storeB));
  expect(sameCa.digest).toBe(first.digest);
});

test('the image is the base layers by digest plus one layer with the merged files, placed on the base', async () => {
  const store = new BlobStore(tmp('tempered-blobs-'));
  const input = await inputFor(store);
  const built = await buildCustomImage(input, context(store));
  const manifest = store.readJson<ImageManifest>(built.digest);
  expect(manifest.layers.map((l) => l.digest)).toEqual([...input.base.manifest.layers.map((l) => l.digest), (built.layers[0]?.digest as string)]);
  expect(manifest.annotations).toEqual(expect.objectContaining({
    [Annotation.baseDigest]: input.base.digest, [Annotation.baseName]: input.base.name, [Annotation.version]: 'bookworm-app',
  }));
  const config = store.readJson<{ created: string; config: { User: string; Env: string[] } }>(manifest.config.digest);
  expect(config.config.User).toBe('10001:10001');
  expect(config.config.Env).toEqual(['APP=1', 'PATH=/usr/bin']);
  expect(config.created).toBe(new Date((EPOCH + 60) * 1000).toISOString());

  const entries = listLayer(store, (built.layers[0]?.digest as string));
  expect(entries).toEqual(expect.arrayContaining([
    'etc/app/config -rw-r----- 10001/10001',
    'usr/lib/app/plugin.so -rwxr-xr-x 0/0',
    'var/lib/svc/ drwx------ 10001/10001',
    'etc/passwd -rw-r--r-- 0/0',
  ]));
  // Nothing replaces the base's /lib symlink with a directory.
  expect(entries.some((e) => e.startsWith('lib/'))).toBe(false);
  const files = execFileSync('tar', ['--extract', '--to-stdout', '--gzip', '--file', store.pathOf((built.layers[0]?.digest as string)), 'etc/passwd', 'etc/ssl/certs/ca-certificates.crt'], { encoding: 'utf8' });
  expect(files).toContain('svc:x:10001:10001::/var/lib/svc:/sbin/nologin');
  expect(files).toContain('# base bundle\n-----BEGIN CERTIFICATE-----');
});
