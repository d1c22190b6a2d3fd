/**
 * Test and bench tooling: a root filesystem directory on disk as one
 * reproducible OCI layer (the product's builder never writes a tree to
 * disk; lib/builder/layerWriter.ts writes layers from memory).
 *
 * GNU tar does the archiving with every source of variation pinned: names
 * sorted, mtimes clamped to SOURCE_DATE_EPOCH, numeric owners only, no atime
 * or ctime. Node's zlib compresses (deterministic for a given zlib build).
 * One pass computes both digests: diff_id (tar) and the blob digest (gzip).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import type { BlobStore } from '../../lib/oci/blobStore';

export interface Layer {
  digest: string;
  diffId: string;
  size: number;
  uncompressedSize: number;
}

export async function createLayer(rootfs: string, sourceDateEpoch: number, store: BlobStore): Promise<Layer> {
  const entries = fs.readdirSync(rootfs).sort();
  const tar = spawn(
    'tar',
    [
      '--create', '--file=-', `--directory=${rootfs}`,
      '--sort=name', '--format=posix', '--numeric-owner',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
      `--mtime=@${sourceDateEpoch}`, '--clamp-mtime',
      '--', ...entries,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}: ${stderr.trim()}`))));
  });

  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let uncompressedSize = 0;
  let size = 0;
  const tmp = store.tempPath();
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
  try {
    await Promise.all([pipeline(tar.stdout, countTar, zlib.createGzip({ level: 6 }), countGzip, fs.createWriteStream(tmp)), exited]);
  } catch (err) {
    // A partial layer (a full disk, tar failing) is garbage that would take the space the next attempt needs.
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  const digest = 'sha256:' + blobHash.digest('hex');
  store.moveIn(tmp, digest);
  return { digest, diffId: 'sha256:' + diffHash.digest('hex'), size, uncompressedSize };
}
