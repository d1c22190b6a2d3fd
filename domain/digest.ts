/** Content digests, as OCI writes them (`sha256:<hex>`), over bytes or canonical JSON. */
import { createHash } from 'node:crypto';
import { TemperedError } from './errors';

/** JSON with sorted keys: one byte string per value, whatever the key order in memory. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function sha256Digest(data: string | Buffer | Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

export class DigestFormatError extends TemperedError<'DIGEST_MALFORMED'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DIGEST_MALFORMED', message, options);
  }
}

/**
 * The hex of a `sha256:<64 lowercase hex>` digest. Digests come from
 * manifests, registries and records, and become file names: anything else
 * (`sha256:../../etc/hostname`) is refused here, before it names a path.
 */
export function hexOf(digest: string): string {
  if (!SHA256_DIGEST.test(digest)) throw new DigestFormatError(`${JSON.stringify(digest.slice(0, 100))} is not a sha256 digest (sha256: and 64 lowercase hex digits)`);
  return digest.slice('sha256:'.length);
}
