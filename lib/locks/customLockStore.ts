/** Customization locks by digest, beside the image locks (`locks/custom/`), and the lock files beside customizations. */
import * as path from 'node:path';
import { type CustomLock, customLockDigest, CustomLockSchema, formatCustomLock } from '../../domain/customization/lock';
import { DigestStore, type LockKind, readLock, writeLock } from './digestStore';

const CUSTOM_LOCK: LockKind<CustomLock> = { what: 'customization lock', schema: CustomLockSchema, digest: customLockDigest, format: formatCustomLock };

export class CustomLockStore extends DigestStore<CustomLock> {
  constructor(locksDir: string) {
    super(path.join(locksDir, 'custom'), CUSTOM_LOCK);
  }
}

export function readCustomLockFile(file: string): CustomLock {
  return readLock(CUSTOM_LOCK, file);
}

export function writeCustomLockFile(file: string, lock: CustomLock): void {
  writeLock(CUSTOM_LOCK, file, lock);
}
