/**
 * Customization locks by digest, beside the image locks (`locks/custom/`).
 * Workflows carry only the digest; any activity loads the lock from it.
 * Writes are atomic and a lock is never rewritten under the same name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CustomLock, customLockDigest, CustomLockSchema, formatCustomLock } from '../../domain/customization/lock';
import { hexOf } from '../../domain/digest';
import { parseOrThrow } from '../../domain/schema/errors';
import { writeFileAtomicSync } from '../lib/stateFiles';

export class CustomLockStore {
  readonly dir: string;
  constructor(locksDir: string) {
    this.dir = path.join(locksDir, 'custom');
  }

  private fileOf(digest: string): string {
    return path.join(this.dir, `${hexOf(digest)}.json`);
  }

  save(lock: CustomLock): string {
    const digest = customLockDigest(lock);
    const file = this.fileOf(digest);
    if (!fs.existsSync(file)) writeCustomLockFile(file, lock);
    return digest;
  }

  load(digest: string): CustomLock {
    const file = this.fileOf(digest);
    if (!fs.existsSync(file)) throw new Error(`customization lock ${digest} is not in ${this.dir}`);
    const lock = readCustomLockFile(file);
    if (customLockDigest(lock) !== digest) throw new Error(`lock file ${file} does not match its digest ${digest}`);
    return lock;
  }

  has(digest: string): boolean {
    return fs.existsSync(this.fileOf(digest));
  }
}

export function readCustomLockFile(file: string): CustomLock {
  return parseOrThrow(CustomLockSchema, JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

export function writeCustomLockFile(file: string, lock: CustomLock): void {
  writeFileAtomicSync(file, formatCustomLock(lock));
}
