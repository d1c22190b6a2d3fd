/** Image locks by digest (shared through the registry), and the lock files beside definitions. */
import * as fs from 'node:fs';
import { CURRENT_LOCK_VERSION, formatLock, type Lock, lockDigest, LockSchema } from '../../domain/lock';
import type { SharedDocuments } from '../state/sharedDocuments';
import { DigestStore, type LockKind, readLock, writeLock } from './digestStore';

const IMAGE_LOCK: LockKind<Lock> = { what: 'lock', document: 'lock', schema: LockSchema, digest: lockDigest, format: formatLock };

export class LockStore extends DigestStore<Lock> {
  constructor(documents: SharedDocuments) {
    super(documents, IMAGE_LOCK);
  }

  /** The lock, or undefined when no worker saved it or it was written in an older format (see isCurrentFormat). */
  async findCurrent(digest: string): Promise<Lock | undefined> {
    const raw = await this.json(digest);
    return raw !== undefined && isCurrentFormat(raw) ? this.parse(raw, digest) : undefined;
  }
}

/**
 * Locks before releases and architectures (`lockVersion: 1`) describe one
 * bookworm amd64 package set without saying so. They are not migrated: an
 * image whose previous lock is one resolves afresh (its published image keeps
 * its own SBOM and provenance), and the tree's lock files were regenerated.
 */
function isCurrentFormat(parsed: unknown): boolean {
  return typeof parsed === 'object' && parsed !== null && (parsed as { lockVersion?: unknown }).lockVersion === CURRENT_LOCK_VERSION;
}

/** The checked-in lock beside a definition, or undefined when there is none or it is in an older format. */
export function readCurrentLockFile(file: string): Lock | undefined {
  return fs.existsSync(file) && isCurrentFormat(JSON.parse(fs.readFileSync(file, 'utf8'))) ? readLockFile(file) : undefined;
}

export function readLockFile(file: string): Lock {
  return readLock(IMAGE_LOCK, file);
}

/** Writes a lock next to its definition (what `tempered lock` and a first resolve do). */
export function writeLockFile(file: string, lock: Lock): void {
  writeLock(IMAGE_LOCK, file, lock);
}
