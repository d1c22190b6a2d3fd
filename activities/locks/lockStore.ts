/**
 * Locks by digest under the state directory. Workflows carry only the digest;
 * any activity can load the lock from it. Writes are atomic, and a lock is
 * never rewritten under the same name, so a crash cannot corrupt one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hexOf } from '../../domain/digest';
import { formatLock, type Lock, lockDigest, LockSchema } from '../../domain/lock';
import { parseOrThrow } from '../../domain/schema/errors';
import { writeFileAtomicSync } from '../lib/stateFiles';

export class LockStore {
  constructor(readonly dir: string) {}

  private fileOf(digest: string): string {
    return path.join(this.dir, `${hexOf(digest)}.json`);
  }

  save(lock: Lock): string {
    const digest = lockDigest(lock);
    const file = this.fileOf(digest);
    if (fs.existsSync(file)) return digest;
    writeFileAtomicSync(file, formatLock(lock));
    return digest;
  }

  load(digest: string): Lock {
    const file = this.fileOf(digest);
    if (!fs.existsSync(file)) throw new Error(`lock ${digest} is not in ${this.dir}`);
    const lock = readLockFile(file);
    if (lockDigest(lock) !== digest) throw new Error(`lock file ${file} does not match its digest ${digest}`);
    return lock;
  }

  has(digest: string): boolean {
    return fs.existsSync(this.fileOf(digest));
  }
}

export function readLockFile(file: string): Lock {
  return parseOrThrow(LockSchema, JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

/** Writes a lock next to its definition (what `tempered lock` and a first resolve do). */
export function writeLockFile(file: string, lock: Lock): void {
  writeFileAtomicSync(file, formatLock(lock));
}
