/**
 * Small file-system helpers for the archive caches: every cache file is
 * written under a temporary name in its final directory and renamed into
 * place, so a reader (or a crashed worker's successor) never sees half a file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type WriteStream } from 'node:fs';
import { access, mkdir, open, rename, rm, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface Digest {
  sha256: string;
  size: number;
}

/** A unique sibling of `finalPath`; same directory so the later rename is atomic. */
export async function temporaryPathFor(finalPath: string): Promise<string> {
  await mkdir(dirname(finalPath), { recursive: true });
  return join(dirname(finalPath), `.${basename(finalPath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * A write stream on `path`, opened before any byte flows. A stream from
 * `fs.createWriteStream(path)` opens its file lazily, so when a pipeline
 * fails at its first chunk (a mirror sending more than the Release says)
 * the open can land after writeAtomically removed the temporary file, and
 * an empty one stays behind in the cache. The stream closes the handle.
 */
export async function openedWriteStream(path: string): Promise<WriteStream> {
  return (await open(path, 'w')).createWriteStream();
}

/**
 * Runs `write(tmpPath)` and renames the result to `finalPath`; on any error
 * the temporary file is removed and the error passed on.
 */
export async function writeAtomically<T>(finalPath: string, write: (tmpPath: string) => Promise<T>): Promise<T> {
  const tmpPath = await temporaryPathFor(finalPath);
  try {
    const result = await write(tmpPath);
    await rename(tmpPath, finalPath);
    return result;
  } catch (error) {
    await rm(tmpPath, { force: true });
    throw error;
  }
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Marks a cache entry as just used. Entries are never rewritten, so their
 * mtime is the time of last use and eviction can be plain
 * `find <cache> -mtime +30 -delete`, safe at any time: a missing entry is
 * a cache miss, and renames are atomic.
 */
export async function touchCacheEntry(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now).catch(() => undefined);
}

export async function digestFile(path: string): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}
