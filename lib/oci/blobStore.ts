/**
 * The local content-addressed blob store (OCI image-layout style:
 * blobs/sha256/<hex>). Builds write here; publish pushes from here. Writes
 * are atomic (temp file + rename), so a killed worker never leaves a blob
 * whose name lies about its content.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { hexOf, sha256Digest } from '../../domain/digest';

export class BlobStore {
  constructor(readonly root: string) {}

  pathOf(digest: string): string {
    return path.join(this.root, 'sha256', hexOf(digest));
  }

  has(digest: string): boolean {
    return fs.existsSync(this.pathOf(digest));
  }

  size(digest: string): number {
    return fs.statSync(this.pathOf(digest)).size;
  }

  read(digest: string): Buffer {
    return fs.readFileSync(this.pathOf(digest));
  }

  readJson<T>(digest: string): T {
    return JSON.parse(this.read(digest).toString('utf8')) as T;
  }

  /** Stores bytes and returns their digest. */
  put(data: Buffer | string): { digest: string; size: number } {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const digest = sha256Digest(bytes);
    if (!this.has(digest)) this.atomicWrite(digest, (tmp) => fs.writeFileSync(tmp, bytes));
    return { digest, size: bytes.length };
  }

  /** Stores a stream, verifying it against the expected digest when one is given. */
  async putStream(stream: Readable, expected?: string): Promise<{ digest: string; size: number }> {
    fs.mkdirSync(path.join(this.root, 'tmp'), { recursive: true });
    const tmp = path.join(this.root, 'tmp', randomBytes(8).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
    });
    try {
      await pipeline(stream, fs.createWriteStream(tmp));
      const digest = 'sha256:' + hash.digest('hex');
      if (expected && digest !== expected) throw new Error(`blob digest mismatch: expected ${expected}, got ${digest}`);
      this.moveIn(tmp, digest);
      return { digest, size };
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Adopts a file already written elsewhere under its digest (used by the layer writer). */
  moveIn(file: string, digest: string): void {
    const target = this.pathOf(digest);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (fs.existsSync(target)) fs.rmSync(file, { force: true });
    else fs.renameSync(file, target);
  }

  tempPath(): string {
    fs.mkdirSync(path.join(this.root, 'tmp'), { recursive: true });
    return path.join(this.root, 'tmp', randomBytes(8).toString('hex'));
  }

  private atomicWrite(digest: string, write: (tmp: string) => void): void {
    const tmp = this.tempPath();
    try {
      write(tmp);
      this.moveIn(tmp, digest);
    } catch (err) {
      // A partial temp file (a full disk) would only take the space the next attempt needs.
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }
}
