/**
 * Decompresses a downloaded (already hash-checked) index file to disk while
 * hashing the output. `.xz` goes through the `xz` program as a streaming
 * subprocess (Node has no xz decoder); `.gz` through zlib.
 */
import { spawnChild } from '../process/exec';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Digest } from './files';

export type Compression = 'xz' | 'gz' | 'none';

/** File suffix of each compression, in order of preference: smallest download first. */
export const COMPRESSION_SUFFIXES: readonly (readonly [Compression, string])[] = [
  ['xz', '.xz'],
  ['gz', '.gz'],
  ['none', ''],
];

/** Copies `source` (through `decoder`, if any) to `destination`, hashing what is written. */
async function writeHashing(source: Readable, destination: string, decoder?: Transform): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  const hashing = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  };
  if (decoder) await pipeline(source, decoder, hashing, createWriteStream(destination));
  else await pipeline(source, hashing, createWriteStream(destination));
  return { sha256: hash.digest('hex'), size };
}

async function runXz(source: string, destination: string): Promise<Digest> {
  const child = spawnChild('xz', ['--decompress', '--stdout', '--', source], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  try {
    const [digest, exitCode] = await Promise.all([writeHashing(child.stdout, destination), exited]);
    if (exitCode !== 0) throw new Error(`xz exited with ${exitCode}: ${stderr.trim()}`);
    return digest;
  } catch (error) {
    child.kill();
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('xz is not installed (Debian package xz-utils)', { cause: error });
    }
    throw error;
  }
}

/** Writes the decompressed content of `source` to `destination` and returns its digest. */
export async function decompressFile(source: string, destination: string, compression: Compression): Promise<Digest> {
  switch (compression) {
    case 'xz':
      return runXz(source, destination);
    case 'gz':
      return writeHashing(createReadStream(source), destination, createGunzip());
    case 'none':
      return writeHashing(createReadStream(source), destination);
  }
}
