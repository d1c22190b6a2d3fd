/** Image locks by digest under the state directory (`locks/`), and the lock files beside definitions. */
import { formatLock, type Lock, lockDigest, LockSchema } from '../../domain/lock';
import { DigestStore, type LockKind, readLock, writeLock } from './digestStore';

const IMAGE_LOCK: LockKind<Lock> = { what: 'lock', schema: LockSchema, digest: lockDigest, format: formatLock };

export class LockStore extends DigestStore<Lock> {
  constructor(dir: string) {
    super(dir, IMAGE_LOCK);
  }
}

export function readLockFile(file: string): Lock {
  return readLock(IMAGE_LOCK, file);
}

/** Writes a lock next to its definition (what `tempered lock` and a first resolve do). */
export function writeLockFile(file: string, lock: Lock): void {
  writeLock(IMAGE_LOCK, file, lock);
}
