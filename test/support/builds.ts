/**
 * Builds of catalog images for tests that need the image, not the act of
 * building it. Builds are deterministic (same spec and lock, same bytes), so
 * under scripts/test they go to the shared build cache
 * (TEMPERED_TEST_BUILD_CACHE, kept between runs of the same builder code)
 * and a second test asking for the same image reuses it; without that
 * variable, to `fallbackRoot`. Tests about
 * reproducibility build from scratch themselves (test/e2e/catalog.test.ts).
 */
import { type Architecture, DEFAULT_ARCHITECTURE } from '../../domain/platform';
import * as path from 'node:path';
import { fetchDeb } from '../../lib/archive/fetch';
import { type BuildContext, type BuiltImage, buildImage } from '../../lib/builder/image';
import { sandboxAccount } from '../../lib/sandbox/account';
import { BlobStore } from '../../lib/oci/blobStore';
import type { VariantSpec } from '../../domain/catalog/effective';
import type { Lock } from '../../domain/lock';
import { SHARED_CACHE } from './stack';

export interface TestBuild {
  built: BuiltImage;
  store: BlobStore;
  /** True when the store is the run's shared cache: never remove it. */
  shared: boolean;
}

export async function buildForTest(spec: VariantSpec, lock: Lock, fallbackRoot: string, arch: Architecture = DEFAULT_ARCHITECTURE): Promise<TestBuild> {
  const shared = process.env.TEMPERED_TEST_BUILD_CACHE;
  return { ...(await buildInto(shared ?? fallbackRoot, spec, lock, arch)), shared: shared !== undefined };
}

/** A build with its blob store and build records under `root` (a fresh root: a build from scratch). */
export async function buildInto(root: string, spec: VariantSpec, lock: Lock, arch: Architecture = DEFAULT_ARCHITECTURE): Promise<{ built: BuiltImage; store: BlobStore }> {
  const store = new BlobStore(path.join(root, 'blobs'));
  const built = await buildImage(spec, lock, arch, testBuildContext(root, store));
  return { built, store };
}

/** A build context with every cache under `root`, the shared deb cache and the scripts' sandbox account. */
export function testBuildContext(root: string, store = new BlobStore(path.join(root, 'blobs')), progress: (step: string) => void = () => undefined): BuildContext {
  return { store, cacheDir: root, fetchDeb: (p) => fetchDeb(p, path.join(SHARED_CACHE, 'debs')), sandbox: () => sandboxAccount('tempered-sandbox'), progress };
}
