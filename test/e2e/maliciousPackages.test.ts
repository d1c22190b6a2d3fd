/**
 * Packages that try to escape the build, each made by hand (debCraft.ts),
 * served by a real signed apt repository on 127.0.0.1 and built by the real
 * resolve and build activities, as a hostile or compromised archive would
 * have them built:
 *
 *   - package A ships `usr/lib/x -> <host dir>`, package B `usr/lib/x/planted` (write through a symlink);
 *   - absolute and `..` names (write anywhere);
 *   - a hardlink through a symlink to the signing key, and one to an absolute host path (read host files into a signed image);
 *   - a device node (a runtime image with /dev/mem-like access);
 *   - a setuid binary (privilege inside the runtime image);
 *   - `tmp -> <host dir>` under the definition's `/tmp 1777` rule (chmod a host directory);
 *   - a symlinked doc directory under the prune rules (delete host files).
 *
 * Each build is refused naming the package and the path, or sanitized, as
 * the tree rules say (domain/rootfs/tree.ts); and whatever happened, no file
 * outside the build changed (a canary directory and the state directory's
 * signing key are compared byte for byte and mode for mode) and no blob
 * written holds a host file's bytes.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities';
import type { Activities, BuildResult } from '../../activities/types';
import { parseConfig } from '../../domain/config';
import type { ImageManifest } from '../../domain/oci/image';
import { defaultArchiveSources } from '../../lib/archive/sources';
import { createContext } from '../../lib/context';
import { initKeys } from '../../lib/signing/keys';
import { createAptRepo, type AptRepo, type FakePackage } from '../support/aptRepo';
import type { CraftedEntry } from '../support/debCraft';
import { startRegistry, type TestRegistry } from '../support/registry';
import { SHARED_CACHE } from '../support/stack';
import { writeCatalog } from '../support/upstream';

jest.setTimeout(300_000);

let dir: string;
let canary: string;
let stateDir: string;
let repo: AptRepo;
let registry: TestRegistry;
let activities: Activities;
let blobsDir: string;
const CANARY_MARKER = `tempered-canary-${Date.now()}`;

/** Every file under `root`: type, mode, and for files a hash of the bytes. */
function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (p: string) => {
    const st = fs.lstatSync(p);
    const rel = path.relative(root, p) || '.';
    out[rel] = `${st.mode.toString(8)}${st.isFile() ? ` ${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}` : ''}`;
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
  };
  visit(root);
  return out;
}

const pkg = (name: string, raw: CraftedEntry[]): FakePackage => ({ name, version: '1.0', architecture: 'all', raw });
const d = (name: string): CraftedEntry => ({ name, type: 'directory' });

/** name -> [definition paths YAML, packages]: one runtime image per escape. */
const SCENARIOS: Record<string, { packages: FakePackage[]; paths?: string }> = {};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-malicious-'));
  canary = path.join(dir, 'canary');
  fs.mkdirSync(path.join(canary, 'sub'), { recursive: true });
  fs.chmodSync(canary, 0o755);
  fs.writeFileSync(path.join(canary, 'secret.txt'), `${CANARY_MARKER}\n`);
  fs.writeFileSync(path.join(canary, 'changelog.gz'), `${CANARY_MARKER} changelog\n`);
  // The prune list names /usr/share/doc/*/examples: reached through a symlinked doc directory, this would go.
  fs.mkdirSync(path.join(canary, 'examples'));
  fs.writeFileSync(path.join(canary, 'examples', 'keep.txt'), `${CANARY_MARKER} example\n`);
  stateDir = path.join(dir, 'state');
  const keys = path.join(stateDir, 'keys');
  initKeys(path.join(keys, 'tempered.key'));

  Object.assign(SCENARIOS, {
    'through-symlink': { packages: [pkg('evil-link', [d('./'), d('./usr/'), d('./usr/lib/'), { name: './usr/lib/x', type: 'symlink', linkname: canary }]), pkg('evil-planted', [d('./'), d('./usr/'), d('./usr/lib/'), { name: './usr/lib/x/planted', type: 'file', content: 'planted\n' }])] },
    'absolute-name': { packages: [pkg('evil-absolute', [d('./'), { name: `${canary}/absolute-planted`, type: 'file', content: 'planted\n' }])] },
    'dotdot-name': { packages: [pkg('evil-dotdot', [d('./'), { name: `./${'../'.repeat(12)}${canary.slice(1)}/dotdot-planted`, type: 'file', content: 'planted\n' }])] },
    'hardlink-key': { packages: [pkg('evil-keydir', [d('./'), d('./usr/'), d('./usr/share/'), { name: './usr/share/k', type: 'symlink', linkname: keys }]), pkg('evil-keylink', [d('./'), d('./usr/'), d('./usr/share/'), { name: './usr/share/stolen', type: 'link', linkname: './usr/share/k/tempered.key' }])] },
    'hardlink-absolute': { packages: [pkg('evil-abslink', [d('./'), { name: './stolen', type: 'link', linkname: path.join(canary, 'secret.txt') }])] },
    'device-node': { packages: [pkg('evil-device', [d('./'), d('./dev/'), { name: './dev/evil-mem', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 1 }])] },
    setuid: { packages: [pkg('evil-setuid', [d('./'), d('./usr/'), d('./usr/bin/'), { name: './usr/bin/evil-su', type: 'file', mode: 0o4755, content: '#!/bin/sh\n' }, { name: './usr/bin/evil-sg', type: 'file', mode: 0o2755, content: '#!/bin/sh\n' }])] },
    'tmp-symlink': { packages: [pkg('evil-tmp', [d('./'), { name: './tmp', type: 'symlink', linkname: canary }])], paths: '  - { path: /tmp, type: directory, mode: "1777" }\n' },
    'symlinked-doc': { packages: [pkg('evil-doc', [d('./'), d('./usr/'), d('./usr/share/'), d('./usr/share/doc/'), { name: './usr/share/doc/evil-doc', type: 'symlink', linkname: canary }])] },
  });
  repo = await createAptRepo({ dir: path.join(dir, 'repo') });
  await repo.publish(Object.values(SCENARIOS).flatMap((s) => s.packages));
  const catalog = writeCatalog(Object.fromEntries(Object.entries(SCENARIOS).map(([name, s]) => [name, [
    `name: ${name}`, `description: ${name} escape attempt`, 'releases: { bookworm: {} }', 'architectures: [amd64]',
    `packages:\n  include: [${s.packages.map((p) => p.name).join(', ')}]`,
    'accounts:\n  groups: [{ name: nonroot, gid: 65532 }]\n  users: [{ name: nonroot, uid: 65532, gid: 65532, home: /home/nonroot }]\n  runAs: nonroot',
    ...(s.paths ? [`paths:\n${s.paths}`] : []),
    'variants:\n  dev:\n    accounts: { runAs: root }',
  ].join('\n') + '\n'])));
  registry = await startRegistry();
  const config = parseConfig({
    TEMPERED_STATE_DIR: stateDir,
    TEMPERED_CATALOG_DIR: catalog,
    TEMPERED_REGISTRY: registry.host,
    // Debian too: a lock holds both variants, and the dev variant needs apt and the Essential set.
    TEMPERED_ARCHIVE: JSON.stringify([...(await defaultArchiveSources()), { uri: repo.url, suites: [repo.suite], keyring: repo.keyringPath }]),
    TEMPERED_DEB_CACHE: path.join(SHARED_CACHE, 'debs'),
    TEMPERED_ARCHIVE_CACHE: path.join(SHARED_CACHE, 'archive'),
  });
  blobsDir = path.join(config.buildCache, 'blobs');
  activities = createActivities(createContext(config));
});

afterAll(async () => {
  await repo?.close();
  await registry?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function build(name: string): Promise<{ built?: BuildResult; refused?: ApplicationFailure }> {
  const image = { kind: 'catalog' as const, name, release: 'bookworm' as const, variant: 'runtime' as const };
  const resolved = await activities.resolveLock({ image, mode: 'latest', sources: [] });
  try {
    return { built: await activities.buildImage({ image, lockDigest: resolved.lockDigest }) };
  } catch (err) {
    if (err instanceof ApplicationFailure) return { refused: err };
    throw err;
  }
}

/** Every entry of every layer of a built image: "path mode". */
function layerEntries(digest: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(blobsDir, 'sha256', digest.slice(7)), 'utf8')) as ImageManifest;
  return manifest.layers.flatMap((l) => {
    const tar = zlib.gunzipSync(fs.readFileSync(path.join(blobsDir, 'sha256', l.digest.slice(7))));
    const out: string[] = [];
    for (let at = 0; at + 512 <= tar.length;) {
      const header = tar.subarray(at, at + 512);
      const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      if (!name) break;
      const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
      out.push(`${name} ${parseInt(header.subarray(100, 108).toString('utf8'), 8).toString(8)}`);
      at += 512 + Math.ceil(size / 512) * 512;
    }
    return out;
  });
}

let before: { canary: Record<string, string>; keys: Record<string, string> };
beforeAll(() => {
  before = { canary: snapshotTree(canary), keys: snapshotTree(path.join(stateDir, 'keys')) };
});

const refusedFor = (r: { refused?: ApplicationFailure }) => ({ type: r.refused?.type, message: r.refused?.message });

test('a file below another package\'s symlink is refused, naming both', async () => {
  expect(refusedFor(await build('through-symlink'))).toEqual({ type: 'PackageRefused', message: `package evil-planted ships /usr/lib/x/planted, which passes through the symlink /usr/lib/x -> ${canary} (shipped by package evil-link): refused, writing it would follow the link` });
});

test.each([
  ['absolute-name', 'is absolute'],
  ['dotdot-name', 'climbs out with ".."'],
])('%s: a name that leaves the tree is refused', async (name, problem) => {
  const r = refusedFor(await build(name));
  expect(r.type).toBe('PackageRefused');
  expect(r.message).toContain(`package evil-${name.split('-')[0]} ships`);
  expect(r.message).toContain(problem);
});

test('a hardlink through a symlink to the signing key, or to an absolute host path, is refused', async () => {
  expect(refusedFor(await build('hardlink-key')).message).toBe('package evil-keylink ships the hardlink /usr/share/stolen to /usr/share/k/tempered.key, which is not a regular file earlier in the image');
  const absolute = refusedFor(await build('hardlink-absolute'));
  expect(absolute.type).toBe('PackageRefused');
  expect(absolute.message).toContain(`package evil-abslink ships the hardlink /stolen to "${path.join(canary, 'secret.txt')}", which is absolute`);
});

test('a device node is refused in a runtime image', async () => {
  expect(refusedFor(await build('device-node'))).toEqual({ type: 'PackageRefused', message: 'package evil-device ships /dev/evil-mem, a character-device: runtime images hold no device nodes, FIFOs or sockets' });
});

test('setuid and setgid bits are cleared in a runtime image that does not allow them', async () => {
  const { built } = await build('setuid');
  const entries = layerEntries(built?.digest as string);
  expect(entries).toEqual(expect.arrayContaining(['usr/bin/evil-su 755', 'usr/bin/evil-sg 755']));
});

test('the definition\'s /tmp rule never follows a package\'s tmp symlink onto the host', async () => {
  expect(refusedFor(await build('tmp-symlink'))).toEqual({ type: 'PackageRefused', message: `/tmp is a symlink shipped by package evil-tmp; it cannot become a directory` });
});

test('pruning documentation never follows a symlinked doc directory', async () => {
  const { built } = await build('symlinked-doc');
  expect(layerEntries(built?.digest as string)).toEqual(expect.arrayContaining(['usr/share/doc/evil-doc 777']));
});

test('nothing outside the build changed, and no blob holds a host file\'s bytes', () => {
  expect(snapshotTree(canary)).toEqual(before.canary);
  expect(snapshotTree(path.join(stateDir, 'keys'))).toEqual(before.keys);
  const key = fs.readFileSync(path.join(stateDir, 'keys', 'tempered.key'));
  const keyBody = key.toString('utf8').split('\n').filter((l) => l && !l.startsWith('-----')).join('');
  const blobs = fs.readdirSync(path.join(blobsDir, 'sha256')).map((b) => fs.readFileSync(path.join(blobsDir, 'sha256', b)));
  expect(blobs.length).toBeGreaterThan(0);
  for (const blob of blobs) {
    const bytes = blob[0] === 0x1f && blob[1] === 0x8b ? zlib.gunzipSync(blob) : blob;
    expect(bytes.includes(CANARY_MARKER)).toBe(false);
    expect(bytes.includes(keyBody.slice(0, 40))).toBe(false);
  }
});
