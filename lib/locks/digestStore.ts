/**
 * Locks by digest, shared through the registry (lib/state/sharedDocuments.ts):
 * workflows carry only the digest and any activity on any worker loads the
 * lock from it, verified against it. A lock is never rewritten under the same
 * digest. Image and customization locks differ only in their format (LockKind).
 */
import * as fs from 'node:fs';
import type { ZodType } from 'zod';
import { parseOrThrow } from '../../domain/schema/errors';
import type { DocumentKind, SharedDocuments } from '../state/sharedDocuments';
import { writeFileAtomicSync } from '../state/files';

export interface LockKind<T> {
  /** How errors name it: "lock", "customization lock". */
  what: string;
  document: DocumentKind;
  schema: ZodType<T>;
  digest(lock: T): string;
  format(lock: T): string;
}

export class DigestStore<T> {
  constructor(
    private readonly documents: SharedDocuments,
    private readonly kind: LockKind<T>,
  ) {}

  async save(lock: T): Promise<string> {
    const digest = this.kind.digest(lock);
    await this.documents.put(this.kind.document, digest, this.kind.format(lock));
    return digest;
  }

  async load(digest: string): Promise<T> {
    const lock = await this.find(digest);
    if (!lock) throw new Error(`${this.kind.what} ${digest} is neither cached nor in ${this.documents.registry.host}/${this.documents.repository}`);
    return lock;
  }

  /** The lock, or undefined when no worker saved it. */
  async find(digest: string): Promise<T | undefined> {
    const raw = await this.json(digest);
    return raw === undefined ? undefined : this.parse(raw, digest);
  }

  protected async json(digest: string): Promise<unknown> {
    const body = await this.documents.get(this.kind.document, digest);
    return body && (JSON.parse(body.toString('utf8')) as unknown);
  }

  protected parse(raw: unknown, digest: string): T {
    const lock = parseOrThrow(this.kind.schema, raw, `${this.kind.what} ${digest}`);
    if (this.kind.digest(lock) !== digest) throw new Error(`${this.kind.what} ${digest} does not match its digest`);
    return lock;
  }
}

export function readLock<T>(kind: LockKind<T>, file: string): T {
  return parseOrThrow(kind.schema, JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

export function writeLock<T>(kind: LockKind<T>, file: string, lock: T): void {
  writeFileAtomicSync(file, kind.format(lock));
}
