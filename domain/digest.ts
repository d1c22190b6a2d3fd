/** Content digests, as OCI writes them (`sha256:<hex>`), over bytes or canonical JSON. */
import { createHash } from 'node:crypto';

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

export function hexOf(digest: string): string {
  return digest.replace(/^sha256:/, '');
}
