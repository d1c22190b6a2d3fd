/**
 * Locks by digest under the state directory, one file per lock named by its
 * digest. Workflows carry only the digest; any activity loads the lock from
 * it. Writes are atomic, and a lock is never rewritten under the same name,
 * so a crash cannot corrupt one. Image and customization locks differ only
 * in their format (LockKind).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ZodType } from 'zod';
import { hexOf } from '../../domain/digest';
import { parseOrThrow } from '../../domain/schema/errors';
import { writeFileAtomicSync } from '../state/files';

export interface LockKind<T> {
  /** How errors name it: "lock", "customization lock". */
  what: string;
  schema: ZodType<T>;
  digest(lock: T): string;
  format(lock: T): string;
}

export class DigestStore<T> {
  constructor(
    readonly dir: string,
    private readonly kind: LockKind<T>,
  ) {}

  protected fileOf(digest: string): string {
    return path.join(this.dir, `${hexOf(digest)}.json`);
  }

  save(lock: T): string {
    const digest = this.kind.digest(lock);
    const file = this.fileOf(digest);
    if (!fs.existsSync(file)) writeLock(this.kind, file, lock);
    return digest;
  }

  load(digest: string): T {
    const file = this.fileOf(digest);
    if (!fs.existsSync(file)) throw new Error(`${this.kind.what} ${digest} is not in ${this.dir}`);
    const lock = readLock(this.kind, file);
    if (this.kind.digest(lock) !== digest) throw new Error(`lock file ${file} does not match its digest ${digest}`);
    return lock;
  }

  has(digest: string): boolean {
    return fs.existsSync(this.fileOf(digest));
  }
}

export function readLock<T>(kind: LockKind<T>, file: string): T {
  return parseOrThrow(kind.schema, JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

export function writeLock<T>(kind: LockKind<T>, file: string, lock: T): void {
  writeFileAtomicSync(file, kind.format(lock));
}
