/**
 * Reads chosen files out of an image's layers (gzip tar, bottom to top, OCI
 * whiteouts honoured) without unpacking anything to disk. The SBOM is made
 * from what this returns: the image's own dpkg metadata, not the lock.
 */
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { extract } from 'tar-stream';
import type { ImageManifest } from '../../domain/oci/image';
import type { BlobStore } from './blobStore';

const normalize = (name: string) => '/' + name.replace(/^\.?\//, '').replace(/\/$/, '');

export async function readImageFiles(store: BlobStore, digest: string, wanted: (path: string) => boolean): Promise<Map<string, Buffer>> {
  const manifest = store.readJson<ImageManifest>(digest);
  const files = new Map<string, Buffer>();
  for (const layer of manifest.layers) {
    const tar = extract();
    tar.on('entry', (header, stream, next) => {
      const name = normalize(header.name);
      const base = name.slice(name.lastIndexOf('/') + 1);
      if (base.startsWith('.wh.')) {
        const dir = name.slice(0, name.lastIndexOf('/'));
        const target = base === '.wh..wh..opq' ? dir + '/' : `${dir}/${base.slice(4)}`;
        for (const key of [...files.keys()]) if (key === target || key.startsWith(target.endsWith('/') ? target : target + '/')) files.delete(key);
      }
      if (header.type !== 'file' || !wanted(name)) {
        stream.resume();
        stream.on('end', next);
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        files.set(name, Buffer.concat(chunks));
        next();
      });
    });
    await pipeline(fs.createReadStream(store.pathOf(layer.digest)), zlib.createGunzip(), tar);
  }
  return files;
}
