/**
 * Every catalog image, both releases and both variants, with the real build
 * code and the real Docker engine: built from its release's checked-in lock, it passes its variant policy
 * and its definition's tests (in containers, network none); its CycloneDX
 * SBOM, made from the image's own dpkg metadata, validates and lists every
 * locked package; and a second build from scratch (a fresh blob store, no
 * build record, a fresh work directory) gives the same manifest digest.
 *
 * Only the .deb cache is shared (content-addressed and checked by sha256, it
 * is input, not output). The second build runs for a representative set on
 * each release: base in both variants, python and java at runtime
 * (TEMPERED_CATALOG_REBUILD_ALL=1: every one). Dev images are large (up to ~450 MB for cc), so each
 * image's stores are removed as soon as its checks are done.
 * TEMPERED_CATALOG_IMAGES=base,static narrows the run when working locally.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BuiltImage } from '../../lib/builder/image';
import { runImageTests } from '../../lib/imageTests/run';
import { readLockFile } from '../../lib/locks/lockStore';
import { BlobStore } from '../../lib/oci/blobStore';
import { imageSbom } from '../../lib/sbom/imageSbom';
import { effectiveSpec } from '../../domain/catalog/effective';
import { definitionFiles, lockFileFor, readDefinition } from '../../domain/catalog/load';
import { definitionReleases } from '../../domain/catalog/definition';
import { RELEASES } from '../../domain/debian/releases';
import { releaseTag, VARIANTS } from '../../domain/image';
import { DEFAULT_ARCHITECTURE } from '../../domain/platform';
import { type Lock, variantPackages } from '../../domain/lock';
import { installedFromSbom, validateSbom } from '../../domain/sbom/cyclonedx';
import { buildForTest, buildInto } from '../support/builds';

jest.setTimeout(1_200_000);

const CATALOG = path.join(__dirname, '../../catalog');
const only = process.env.TEMPERED_CATALOG_IMAGES?.split(',').filter(Boolean);
const images = definitionFiles(CATALOG)
  .map((file) => ({ file, definition: readDefinition(file) }))
  .filter(({ definition }) => !only || only.includes(definition.name))
  .flatMap(({ file, definition }) => definitionReleases(definition).map((release) => ({ definition, release, lock: readLockFile(lockFileFor(file, release)) })));

/** Runtime images rebuilt from scratch in every run, besides base (see the rebuild test). */
const REBUILT_RUNTIMES = new Set(['python', 'java']);

/** Uncompressed size budgets (layer tar bytes, MB = 10^6 as docker reports them). */
const SIZE_BUDGET: Record<string, number> = { 'base:trixie': 30e6, 'base:bookworm': 30e6 };

let work: string;
const timings: string[] = [];
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-catalog-e2e-'));
});
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`catalog e2e timings (seconds):\n${timings.join('\n')}`);
});

/** A build with nothing to reuse but the .deb cache. */
async function buildFresh(name: string, spec: ReturnType<typeof effectiveSpec>, lock: Lock): Promise<{ built: BuiltImage; store: BlobStore; seconds: number }> {
  const started = Date.now();
  const fresh = await buildInto(fs.mkdtempSync(path.join(work, `${name}-`)), spec, lock);
  return { ...fresh, seconds: (Date.now() - started) / 1000 };
}

const removeStore = (store: BlobStore) => fs.rmSync(path.dirname(store.root), { recursive: true, force: true });

test('the catalog has every image of the product, each with a lock', () => {
  if (only) return;
  expect(images.map((i) => i.definition.name)).toEqual(expect.arrayContaining(['base', 'cc', 'go', 'java', 'nginx', 'node', 'python', 'redis', 'ruby', 'static']));
  for (const image of images) expect({ image: image.definition.name, release: image.lock.release }).toEqual({ image: image.definition.name, release: image.release });
  expect(new Set(images.map((i) => i.release))).toEqual(new Set(RELEASES));
});

describe.each(images.flatMap((image) => VARIANTS.map((variant) => [`${image.definition.name}:${releaseTag(image.release, variant)}`, image, variant] as const)))(
  '%s',
  (label, { definition, release, lock }, variant) => {
    const spec = effectiveSpec(definition, release, variant);
    const locked = variantPackages(lock, variant, DEFAULT_ARCHITECTURE);
    let first: { built: BuiltImage; store: BlobStore; shared: boolean; seconds: number } | undefined;
    afterAll(() => first && !first.shared && removeStore(first.store));

    test('builds from its lock and passes its policy and definition tests', async () => {
      // Through the shared build cache when there is one (another test or an earlier run of this code may have built it):
      // the second build below is the one from scratch.
      const started = Date.now();
      const build = await buildForTest(spec, lock, fs.mkdtempSync(path.join(work, `${label.replace(':', '-')}-`)));
      first = { ...build, seconds: (Date.now() - started) / 1000 };
      expect(first.built.packageCount).toBe(locked.length);
      expect(first.built.size).toBeLessThanOrEqual(SIZE_BUDGET[label] ?? Infinity);
      const testsStarted = Date.now();
      const report = await runImageTests({ spec, digest: first.built.digest, locked }, first.store, () => undefined);
      const failed = report.results.tests.filter((t) => t.status !== 'passed').map((t) => `${t.suite}: ${t.name}: ${t.message ?? t.status}`);
      expect(failed).toEqual([]);
      expect(report.results.tests.some((t) => t.suite === 'definition')).toBe(true);
      timings.push(`${label}: build ${first.seconds}, tests ${(Date.now() - testsStarted) / 1000} (${report.results.tests.length} checks), ${(first.built.size / 1e6).toFixed(1)} MB`);
    });

    test('its CycloneDX SBOM validates and lists every locked package', async () => {
      if (!first) throw new Error('the first build failed');
      const { sbom } = await imageSbom(first.store, first.built.digest, { name: definition.name, variant });
      expect(await validateSbom(sbom)).toEqual({ valid: true });
      const listed = new Set(installedFromSbom(sbom).map((p) => `${p.name}=${p.version} (${p.source} ${p.sourceVersion})`));
      const missing = locked.map((p) => `${p.name}=${p.version} (${p.source} ${p.sourceVersion})`).filter((p) => !listed.has(p));
      expect(missing).toEqual([]);
    });

    // A representative set on each release: base in both variants, and the runtime images whose bytes the
    // builder derives beyond the packages (python's bytecode, java's truststore). The other rebuilds prove
    // nothing these do not, and CI has a budget. TEMPERED_CATALOG_REBUILD_ALL=1 rebuilds every image.
    const rebuild = definition.name === 'base' || (variant === 'runtime' && REBUILT_RUNTIMES.has(definition.name)) || process.env.TEMPERED_CATALOG_REBUILD_ALL === '1';
    if (rebuild) test('a second build from scratch gives the same digest', async () => {
      if (!first) throw new Error('the first build failed');
      const second = await buildFresh(`${label.replace(':', '-')}-again`, spec, lock);
      try {
        expect(second.built.digest).toBe(first.built.digest);
        expect(second.built.layers.map((l) => l.digest)).toEqual(first.built.layers.map((l) => l.digest));
        timings.push(`${label}: rebuild ${second.seconds}, same digest ${second.built.digest.slice(0, 19)}`);
      } finally {
        removeStore(second.store);
      }
    });
  },
);
