/**
 * A scanner that is not ours sees what is inside: syft (built from the Go
 * module proxy by scripts/install-tools) reads every runtime image of the
 * catalog, layered by origin with dpkg's metadata as one status.d file per
 * package, from an OCI layout of the exact bytes tempered built, and must
 * list every locked package at its locked version.
 */
import { definitionReleases } from '../../domain/catalog/definition';
import { DEFAULT_ARCHITECTURE } from '../../domain/platform';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { effectiveSpec } from '../../domain/catalog/effective';
import { definitionFiles, lockFileFor, readDefinition } from '../../domain/catalog/load';
import { variantPackages } from '../../domain/lock';
import type { ImageManifest } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import { readLockFile } from '../../lib/locks/lockStore';
import type { BlobStore } from '../../lib/oci/blobStore';
import { buildForTest } from '../support/builds';
import { SHARED_CACHE } from '../support/stack';

jest.setTimeout(600_000);

const SYFT = process.env.TEMPERED_SYFT ?? path.join(SHARED_CACHE, 'syft-v1.57.2', 'syft');
const CATALOG = path.join(__dirname, '../../catalog');
let work: string;

beforeAll(() => {
  if (!fs.existsSync(SYFT)) throw new Error(`${SYFT} is missing: scripts/install-tools syft builds it`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-syft-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** An OCI image layout (image-spec layout.md) holding one image from the store; syft refuses symlinked blobs, so hardlinks (or copies). */
function ociLayout(store: BlobStore, digest: string, dir: string): void {
  const manifest = store.readJson<ImageManifest>(digest);
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const d of [digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const target = path.join(dir, 'blobs', 'sha256', d.slice('sha256:'.length));
    try {
      fs.linkSync(store.pathOf(d), target);
    } catch {
      fs.copyFileSync(store.pathOf(d), target);
    }
  }
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociManifest, digest, size: store.size(digest) }] }));
}

const runtimeImages = definitionFiles(CATALOG).flatMap((file) => definitionReleases(readDefinition(file)).map((release) => [`${readDefinition(file).name}:${release}`, file, release] as const));

describe.each(runtimeImages)('%s runtime', (label, file, release) => {
  test('syft lists every locked package at its version', async () => {
    const name = label.replace(':', '-');
    const definition = readDefinition(file);
    const lock = readLockFile(lockFileFor(file, release));
    const { built, store } = await buildForTest(effectiveSpec(definition, release, 'runtime'), lock, fs.mkdtempSync(path.join(work, `${name}-`)));
    expect(built.layers.length).toBeGreaterThan(1);
    const layout = path.join(work, `${name}-layout`);
    ociLayout(store, built.digest, layout);
    const { stdout } = await promisify(execFile)(SYFT, ['scan', `oci-dir:${layout}`, '-o', 'syft-json', '-q'], {
      env: { PATH: process.env.PATH ?? '', HOME: work, SYFT_CHECK_FOR_APP_UPDATE: 'false' },
      maxBuffer: 256 * 1024 * 1024,
    });
    const seen = new Set((JSON.parse(stdout) as { artifacts: { name: string; version: string; type: string }[] }).artifacts.filter((a) => a.type === 'deb').map((a) => `${a.name}=${a.version}`));
    const missing = variantPackages(lock, 'runtime', DEFAULT_ARCHITECTURE).map((p) => `${p.name}=${p.version}`).filter((p) => !seen.has(p));
    expect(missing).toEqual([]);
  });
});
