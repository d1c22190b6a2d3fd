/**
 * arm64 images, built on this amd64 machine from each release's arm64
 * packages and tested under emulation: the kernel's binfmt_misc handler for
 * qemu-aarch64 (registered by scripts/lib/common.sh) runs every arm64
 * binary of the image tests. Every catalog runtime image on both releases
 * is built from its checked-in lock and passes its variant policy and its
 * definition's tests there (node reports `arm64`, java runs a class, python
 * imports ssl, the TLS handshake of base); base proves reproducibility per
 * platform (a second build from scratch, the same digest) and that its
 * arm64 image is not its amd64 one.
 *
 * Dev images run their maintainer scripts under qemu (minutes each): two
 * represent them, base:trixie-dev and node:trixie-dev (whose node reports
 * arm64), built (from the build cache a warm run keeps) and tested the same
 * way.
 * TEMPERED_ARM64_IMAGES=base,node narrows the run when working locally.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { definitionArchitectures, effectiveSpec } from '../../domain/catalog/effective';
import { definitionFiles, lockFileFor, readDefinition } from '../../domain/catalog/load';
import { definitionReleases } from '../../domain/catalog/definition';
import { releaseTag, type Variant } from '../../domain/image';
import { type Lock, variantPackages } from '../../domain/lock';
import { installedFromSbom } from '../../domain/sbom/cyclonedx';
import { runImageTests } from '../../lib/imageTests/run';
import { readLockFile } from '../../lib/locks/lockStore';
import { BlobStore } from '../../lib/oci/blobStore';
import { imageSbom } from '../../lib/sbom/imageSbom';
import { buildForTest, buildInto, type TestBuild } from '../support/builds';

jest.setTimeout(1_800_000);

const ARCH = 'arm64';
const CATALOG = path.join(__dirname, '../../catalog');
const only = process.env.TEMPERED_ARM64_IMAGES?.split(',').filter(Boolean);
const images = definitionFiles(CATALOG)
  .map((file) => ({ file, definition: readDefinition(file) }))
  .filter(({ definition }) => definitionArchitectures(definition).includes(ARCH) && (!only || only.includes(definition.name)))
  .flatMap(({ file, definition }) => definitionReleases(definition).map((release) => ({ definition, release, lock: readLockFile(lockFileFor(file, release)) })));

/** The dev images built under emulation in every run (their maintainer scripts run in qemu). */
const EMULATED_DEV = new Set(['base:trixie-dev', 'node:trixie-dev']);

let work: string;
const timings: string[] = [];
beforeAll(() => {
  const handler = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  if (!fs.existsSync(handler) || !fs.readFileSync(handler, 'utf8').startsWith('enabled')) {
    throw new Error(`no enabled qemu-aarch64 binfmt handler at ${handler}: scripts/test registers it (ensure_arm64_emulation)`);
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-arm64-e2e-'));
});
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`arm64 e2e timings (seconds, emulated):\n${timings.join('\n')}`);
});

const removeStore = (store: BlobStore) => fs.rmSync(path.dirname(store.root), { recursive: true, force: true });
const platformOf = (b: TestBuild) => {
  const manifest = b.store.readJson<{ config: { digest: string } }>(b.built.digest);
  const config = b.store.readJson<{ os: string; architecture: string; variant?: string }>(manifest.config.digest);
  return [config.os, config.architecture, config.variant].filter(Boolean).join('/');
};

const cases = images.flatMap((image) =>
  (['runtime', 'dev'] as const satisfies readonly Variant[])
    .map((variant) => ({ ...image, variant, label: `${image.definition.name}:${releaseTag(image.release, variant)}` }))
    .filter((c) => c.variant === 'runtime' || EMULATED_DEV.has(c.label)),
);

describe.each(cases.map((c) => [`${c.label} (arm64)`, c] as const))('%s', (_, { definition, release, lock, variant, label }) => {
  const spec = effectiveSpec(definition, release, variant, ARCH);
  const locked = variantPackages(lock, variant, ARCH);
  let first: TestBuild | undefined;
  afterAll(() => first && !first.shared && removeStore(first.store));

  test('builds from the arm64 packages of its lock and passes its policy and definition tests under emulation', async () => {
    const started = Date.now();
    first = await buildForTest(spec, lock, fs.mkdtempSync(path.join(work, `${label.replace(':', '-')}-`)), ARCH);
    const seconds = (Date.now() - started) / 1000;
    expect(platformOf(first)).toBe('linux/arm64/v8');
    expect(first.built.packageCount).toBe(locked.length);
    const testsStarted = Date.now();
    const report = await runImageTests({ spec, digest: first.built.digest, locked }, first.store, () => undefined);
    const failed = report.results.tests.filter((t) => t.status !== 'passed').map((t) => `${t.suite}: ${t.name}: ${t.message ?? t.status}`);
    expect(failed).toEqual([]);
    expect(report.results.tests.some((t) => t.suite === 'definition')).toBe(true);
    timings.push(`${label}: build ${seconds}, tests ${(Date.now() - testsStarted) / 1000} (${report.results.tests.length} checks), ${(first.built.size / 1e6).toFixed(1)} MB`);
  });

  test('its SBOM lists the arm64 packages of its lock', async () => {
    if (!first) throw new Error('the first build failed');
    const { sbom } = await imageSbom(first.store, first.built.digest, { name: definition.name, variant });
    const listed = new Set(installedFromSbom(sbom).map((p) => `${p.name}=${p.version}`));
    expect(locked.map((p) => `${p.name}=${p.version}`).filter((p) => !listed.has(p))).toEqual([]);
    expect(JSON.stringify(sbom)).not.toContain('arch=amd64');
  });

  if (definition.name === 'base' && variant === 'runtime') {
    test('a second build from scratch gives the same digest, and not the amd64 one', async () => {
      if (!first) throw new Error('the first build failed');
      const second = await buildInto(fs.mkdtempSync(path.join(work, `${label.replace(':', '-')}-again-`)), spec, lock as Lock, ARCH);
      const amd64 = await buildInto(fs.mkdtempSync(path.join(work, `${label.replace(':', '-')}-amd64-`)), effectiveSpec(definition, release, variant, 'amd64'), lock, 'amd64');
      try {
        expect(second.built.digest).toBe(first.built.digest);
        expect(second.built.layers.map((l) => l.digest)).toEqual(first.built.layers.map((l) => l.digest));
        expect(amd64.built.digest).not.toBe(first.built.digest);
        timings.push(`${label}: rebuild from scratch, same digest ${second.built.digest.slice(0, 19)}`);
      } finally {
        removeStore(second.store);
        removeStore(amd64.store);
      }
    });
  }
});
