/**
 * The SBOM of an image index: the packages of every platform image (read
 * from each one's own dpkg metadata, as for a platform SBOM), one component
 * per package and architecture; an `Architecture: all` package that every
 * platform installs at the same version is listed once. Each platform
 * manifest keeps its own SBOM; this one is what a consumer resolving the
 * index by tag sees attached to it.
 */
import type { InstalledPackage } from '../../domain/debian/status';
import { buildSbom } from '../../domain/sbom/cyclonedx';
import type { BlobStore } from '../oci/blobStore';
import { imagePackages } from './imageSbom';

export async function indexSbom(
  store: BlobStore,
  index: { digest: string; created?: string },
  platformDigests: readonly string[],
  image: { name: string; variant: string; reference?: string },
): Promise<string> {
  const byKey = new Map<string, InstalledPackage>();
  const licenses: Record<string, string[]> = {};
  for (const digest of platformDigests) {
    const found = await imagePackages(store, digest);
    for (const pkg of found.packages) {
      const key = `${pkg.name}:${pkg.architecture}`;
      const seen = byKey.get(key);
      if (seen && seen.version !== pkg.version) {
        throw new Error(`${key} is ${seen.version} on one platform and ${pkg.version} on another: one index component cannot describe both`);
      }
      byKey.set(key, pkg);
    }
    for (const [name, names] of Object.entries(found.licenses)) licenses[name] = [...new Set([...(licenses[name] ?? []), ...names])].sort();
  }
  return buildSbom({
    image: { ...image, digest: index.digest },
    packages: [...byKey.values()],
    licenses,
    tools: [{ name: 'tempered', version: '1' }],
    timestamp: index.created ? new Date(index.created) : new Date(0),
  });
}
