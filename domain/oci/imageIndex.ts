/**
 * The OCI image index of a multi-platform image: one descriptor per
 * platform manifest, in ARCHITECTURES order, with fixed key order, so the
 * same platform manifests always give the same index bytes and digest
 * (reproducibility holds for the index as for each platform).
 */
import { type Architecture, ARCHITECTURES, PLATFORMS } from '../platform';
import type { Descriptor } from './image';
import { MediaType } from './mediaTypes';

export interface PlatformManifest {
  architecture: Architecture;
  /** The platform manifest as the registry serves it. */
  descriptor: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>;
}

export interface PlatformDescriptor extends Descriptor {
  platform: { architecture: string; os: string; variant?: string };
}

export interface ImageIndexDocument {
  schemaVersion: 2;
  mediaType: string;
  manifests: PlatformDescriptor[];
  annotations?: Record<string, string>;
}

export function imageIndexJson(platforms: readonly PlatformManifest[], annotations: Record<string, string>): string {
  const seen = new Set(platforms.map((p) => p.architecture));
  if (seen.size !== platforms.length) throw new Error(`an image index lists each architecture once (got ${platforms.map((p) => p.architecture).join(', ')})`);
  if (platforms.length === 0) throw new Error('an image index needs at least one platform manifest');
  const ordered = ARCHITECTURES.flatMap((a) => platforms.filter((p) => p.architecture === a));
  const index: ImageIndexDocument = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: ordered.map(({ architecture, descriptor }) => {
      const { os, variant } = PLATFORMS[architecture];
      return { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size, platform: { architecture, os, ...(variant ? { variant } : {}) } };
    }),
    annotations: Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => a.localeCompare(b))),
  };
  return JSON.stringify(index);
}

/** The platform manifest of `arch` in an index, or undefined. */
export function platformManifestOf(index: { manifests: readonly { digest: string; platform?: { architecture?: string } }[] }, arch: Architecture): string | undefined {
  return index.manifests.find((m) => m.platform?.architecture === arch)?.digest;
}
