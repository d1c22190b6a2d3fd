/**
 * Pushes a built image from the blob store to a repository by digest (no
 * tag): layers, config, then the manifest (an image index: each platform
 * image, then the index). Each step is skipped when the
 * registry already has it, so a retry after a crash only finishes the job.
 * Moving a tag is a separate, final step (publish).
 */
import type { ImageManifest } from '../../domain/oci/image';
import type { ImageIndex } from './artifacts';
import type { BlobStore } from './blobStore';
import type { RegistryClient } from './registry';

/**
 * `basedOn`: the manifest of the image this one is built on (a customization's base), which the repository
 * holds, so its layers are there (a registry refuses a manifest whose blobs it lacks): they are not asked for.
 */
export async function pushByDigest(registry: RegistryClient, repository: string, store: BlobStore, digest: string, basedOn?: string): Promise<void> {
  if (await registry.resolve(repository, digest)) return;
  const document = store.readJson<ImageManifest | ImageIndex>(digest);
  if ('manifests' in document) {
    // An image index: its platform manifests first (each a no-op when the registry has it), then the index.
    for (const m of document.manifests) await pushByDigest(registry, repository, store, m.digest);
    await registry.putManifest(repository, digest, store.read(digest), document.mediaType);
    return;
  }
  const manifest = document;
  const base = basedOn && store.has(basedOn) ? store.readJson<Partial<ImageManifest>>(basedOn) : undefined;
  const there = new Set(base?.layers && (await registry.resolve(repository, basedOn as string)) ? base.layers.map((l) => l.digest) : []);
  // Blobs side by side; the manifest only after all of them.
  const blobs = [...manifest.layers, manifest.config].filter((blob) => !there.has(blob.digest));
  await Promise.all(blobs.map((blob) => registry.pushBlob(repository, blob.digest, { path: store.pathOf(blob.digest), size: blob.size })));
  await registry.putManifest(repository, digest, store.read(digest), manifest.mediaType);
}

/** Fetches an image's manifest, config and layers into the blob store (for a worker that did not build it). */
export async function pullByDigest(registry: RegistryClient, repository: string, store: BlobStore, digest: string): Promise<void> {
  if (!store.has(digest)) {
    const fetched = await registry.getManifest(repository, digest);
    if (!fetched) throw new Error(`${registry.host}/${repository}@${digest} not found`);
    store.put(fetched.body);
  }
  const document = store.readJson<ImageManifest | ImageIndex>(digest);
  if ('manifests' in document) {
    for (const m of document.manifests) await pullByDigest(registry, repository, store, m.digest);
    return;
  }
  const manifest = document;
  for (const blob of [manifest.config, ...manifest.layers]) {
    if (!store.has(blob.digest)) await store.putStream(await registry.getBlobStream(repository, blob.digest), blob.digest);
  }
}
