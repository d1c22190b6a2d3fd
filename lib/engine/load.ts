/**
 * Puts a built image into the Docker engine so it can be run: `docker load`
 * of a docker-archive streamed straight from the blob store (no registry
 * round trip, nothing written twice). An image already present, found by its
 * config digest (= image ID), is not loaded again.
 */
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { hexOf } from '../../domain/digest';
import type { ImageManifest } from '../../domain/oci/image';
import type { BlobStore } from '../oci/blobStore';
import { dockerClient } from './client';

export async function isLoaded(imageId: string): Promise<boolean> {
  try {
    await dockerClient().getImage(imageId).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/**
 * Loads the image and returns its image ID (the config digest), usable as a
 * container's Image. `parent`: the image ID of an image already loaded whose
 * layers this image starts with (a customization's base). Docker looks a
 * layer up by its chain ID before it ever opens the layer's file in the
 * archive, so those layers are left out of the stream: loading a customized
 * image then costs its own layer, not its base's megabytes again.
 */
export async function loadImage(store: BlobStore, manifestDigest: string, tag: string, parent?: string): Promise<string> {
  const manifest = store.readJson<ImageManifest>(manifestDigest);
  const imageId = manifest.config.digest;
  if (await isLoaded(imageId)) return imageId;
  const shared = parent ? await sharedLayers(store, parent, imageId) : 0;

  const archive = pack();
  const layerNames = manifest.layers.map((l) => `${hexOf(l.digest)}/layer.tar`);
  const dockerManifest = [{ Config: `${hexOf(imageId)}.json`, RepoTags: [tag], Layers: layerNames }];
  const feeding = (async () => {
    // An entry the pack destroys (the engine went away mid-load) emits 'error'; the load's own error says why.
    archive.entry({ name: 'manifest.json' }, JSON.stringify(dockerManifest)).on('error', () => undefined);
    archive.entry({ name: `${hexOf(imageId)}.json` }, store.read(imageId)).on('error', () => undefined);
    for (const [i, layer] of manifest.layers.entries()) {
      if (i < shared) continue;
      const entry = archive.entry({ name: layerNames[i] as string, size: layer.size });
      await pipeline(fs.createReadStream(store.pathOf(layer.digest)), entry);
    }
    archive.finalize();
  })();
  let response: NodeJS.ReadableStream;
  try {
    response = await dockerClient().loadImage(archive as unknown as NodeJS.ReadableStream, { quiet: true });
  } catch (err) {
    // No engine to feed: stop feeding, and let the feeding's own failure go with this one (never unhandled).
    archive.destroy();
    await feeding.catch(() => undefined);
    throw err;
  }
  await Promise.all([feeding, drain(response)]);
  if (!(await isLoaded(imageId))) throw new Error(`docker load did not produce image ${imageId}`);
  return imageId;
}

/** How many leading layers (by diff ID) `imageId` shares with `parent`, when the parent is loaded; 0 otherwise. */
async function sharedLayers(store: BlobStore, parent: string, imageId: string): Promise<number> {
  if (!store.has(parent) || !(await isLoaded(parent))) return 0;
  const diffIds = (config: string) => store.readJson<{ rootfs?: { diff_ids?: string[] } }>(config).rootfs?.diff_ids ?? [];
  const ours = diffIds(imageId);
  const theirs = diffIds(parent);
  let n = 0;
  while (n < theirs.length && n < ours.length && theirs[n] === ours[n]) n++;
  return n;
}

async function drain(stream: NodeJS.ReadableStream): Promise<void> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  const error = /"error(?:Detail)?":\s*"?([^"}]+)/.exec(text);
  if (error) throw new Error(`docker load failed: ${error[1]}`);
}
