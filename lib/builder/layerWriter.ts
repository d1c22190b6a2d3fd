/**
 * Writes one image layer from tree nodes whose bytes are at hand: a
 * ustar/pax tar in the nodes' order (parents first), numeric owners only,
 * no user or group names, mtimes as the tree says; gzip at level 6 by
 * Node's zlib. The same nodes and bytes always give the same blob. One pass
 * computes the diff ID (tar) and the blob digest (gzip).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { pack } from 'tar-stream';
import type { TreeNode } from '../../domain/rootfs/tree';
import type { BlobStore } from '../oci/blobStore';

export interface Layer {
  digest: string;
  diffId: string;
  /** Compressed (the blob) and uncompressed (the tar) sizes in bytes. */
  size: number;
  uncompressedSize: number;
}

/** Bytes of a file node, by the caller's content source. */
export type BytesOf = (node: TreeNode) => Buffer;

const tarType = { directory: 'directory', file: 'file', symlink: 'symlink', hardlink: 'link' } as const;

/** The entries as an uncompressed tar stream, fed as it is read. */
export function tarOf(entries: readonly TreeNode[], bytesOf: BytesOf): Readable {
  const archive = pack();
  const feed = async () => {
    for (const node of entries) {
      const header = {
        name: node.path.slice(1) + (node.type === 'directory' ? '/' : ''),
        type: tarType[node.type],
        mode: node.mode,
        uid: node.uid,
        gid: node.gid,
        mtime: new Date(node.mtime * 1000),
        ...(node.type === 'symlink' ? { linkname: node.linkname } : {}),
        ...(node.type === 'hardlink' ? { linkname: (node.linkname as string).slice(1) } : {}),
      };
      const bytes = node.type === 'file' ? bytesOf(node) : undefined;
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(err) : resolve());
        const sink = bytes ? archive.entry({ ...header, size: bytes.length }, bytes, done) : archive.entry({ ...header, size: 0 }, done);
        // When the pipeline fails downstream (a full disk), the pack destroys the entry being written and the entry
        // emits 'error': `done` already carries it, and without a listener it would kill the worker process.
        sink.on('error', () => undefined);
      });
    }
    archive.finalize();
  };
  feed().catch((err: Error) => archive.destroy(err));
  return archive as unknown as Readable;
}

export async function writeLayer(entries: readonly TreeNode[], bytesOf: BytesOf, store: BlobStore): Promise<Layer> {
  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let uncompressedSize = 0;
  let size = 0;
  const countTar = new PassThrough();
  countTar.on('data', (chunk: Buffer) => {
    diffHash.update(chunk);
    uncompressedSize += chunk.length;
  });
  const countGzip = new PassThrough();
  countGzip.on('data', (chunk: Buffer) => {
    blobHash.update(chunk);
    size += chunk.length;
  });
  const tmp = store.tempPath();
  try {
    await pipeline(tarOf(entries, bytesOf), countTar, zlib.createGzip({ level: 6 }), countGzip, fs.createWriteStream(tmp));
  } catch (err) {
    // A partial layer (a full disk) would only take the space the next attempt needs.
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  const digest = `sha256:${blobHash.digest('hex')}`;
  store.moveIn(tmp, digest);
  return { digest, diffId: `sha256:${diffHash.digest('hex')}`, size, uncompressedSize };
}
