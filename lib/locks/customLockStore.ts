/** Customization locks by digest (shared through the registry, beside the image locks), and the lock files beside customizations. */
import { type CustomLock, customLockDigest, CustomLockSchema, formatCustomLock } from '../../domain/customization/lock';
import type { SharedDocuments } from '../state/sharedDocuments';
import { DigestStore, type LockKind, readLock, writeLock } from './digestStore';

const CUSTOM_LOCK: LockKind<CustomLock> = { what: 'customization lock', document: 'custom-lock', schema: CustomLockSchema, digest: customLockDigest, format: formatCustomLock };

export class CustomLockStore extends DigestStore<CustomLock> {
  constructor(documents: SharedDocuments) {
    super(documents, CUSTOM_LOCK);
  }
}

export function readCustomLockFile(file: string): CustomLock {
  return readLock(CUSTOM_LOCK, file);
}

export function writeCustomLockFile(file: string, lock: CustomLock): void {
  writeLock(CUSTOM_LOCK, file, lock);
}
