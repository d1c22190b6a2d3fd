/**
 * Reads chosen files out of an image's layers (gzip tar, bottom to top, OCI
 * whiteouts honoured) without unpacking anything to disk. The SBOM is made
 * from what this returns: the image's own dpkg metadata, not the lock.
 *
 * A layer is read on its own (what it adds, what it whites out) and the
 * layers are then stacked, so a caller that reads many images sharing a base
 * (a cascade scanning twenty customizations) can keep each layer's answer by
 * layer digest instead of decompressing the base again for every image.
 */
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { extract } from 'tar-stream';
import type { ImageManifest } from '../../domain/oci/image';
import type { BlobStore } from './blobStore';

const normalize = (name: string) => '/' + name.replace(/^\.?\//, '').replace(/\/$/, '');

/** One layer's effect, in archive order: a wanted file, or a whiteout of a path (or of a directory's content, ending in "/"). */
export type LayerEntry = { kind: 'file'; path: string; content: Buffer } | { kind: 'whiteout'; target: string };

export async function readLayerEntries(file: string, wanted: (path: string) => boolean): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const tar = extract();
  tar.on('entry', (header, stream, next) => {
    const name = normalize(header.name);
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (base.startsWith('.wh.')) {
      const dir = name.slice(0, name.lastIndexOf('/'));
      entries.push({ kind: 'whiteout', target: base === '.wh..wh..opq' ? dir + '/' : `${dir}/${base.slice(4)}` });
    }
    if (header.type !== 'file' || !wanted(name)) {
      stream.resume();
      stream.on('end', next);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      entries.push({ kind: 'file', path: name, content: Buffer.concat(chunks) });
      next();
    });
  });
  await pipeline(fs.createReadStream(file), zlib.createGunzip(), tar);
  return entries;
}

export type LayerReader = (layerDigest: string) => Promise<LayerEntry[]>;

export async function readImageFiles(
  store: BlobStore,
  digest: string,
  wanted: (path: string) => boolean,
  readLayer: LayerReader = (layer) => readLayerEntries(store.pathOf(layer), wanted),
): Promise<Map<string, Buffer>> {
  const manifest = store.readJson<ImageManifest>(digest);
  const files = new Map<string, Buffer>();
  for (const layer of manifest.layers) {
    for (const entry of await readLayer(layer.digest)) {
      if (entry.kind === 'file') {
        files.set(entry.path, entry.content);
        continue;
      }
      const { target } = entry;
      for (const key of [...files.keys()]) if (key === target || key.startsWith(target.endsWith('/') ? target : target + '/')) files.delete(key);
    }
  }
  return files;
}
