/**
 * A lock is the exact package set of one image definition, for both
 * variants: every .deb with version, source, where it came from and its
 * sha256. Builds use a lock and nothing else, so the same lock gives the same
 * image digest. A lock is identified by the digest of its canonical JSON.
 */
import { z } from 'zod';
import { canonicalJson, sha256Digest } from './digest';
import { ImageNameSchema, VARIANTS, type Variant } from './image';

export const LockedPackageSchema = z.strictObject({
  name: z.string().min(1),
  version: z.string().min(1),
  architecture: z.string().min(1),
  source: z.string().min(1),
  sourceVersion: z.string().min(1),
  /** Base URI of the archive the package was resolved from. */
  archive: z.string().min(1),
  suite: z.string().min(1),
  /** Path of the .deb below the archive base URI (the Packages `Filename`). */
  filename: z.string().min(1),
  size: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits'),
});
export type LockedPackage = z.infer<typeof LockedPackageSchema>;

export const LockedVariantSchema = z.strictObject({
  packages: z.array(z.string()).min(1),
  /**
   * SOURCE_DATE_EPOCH of the variant: when its package set last changed.
   * Kept across re-resolutions that change nothing, so digests stay put.
   */
  sourceDateEpoch: z.number().int().nonnegative(),
});

export const LockSchema = z.strictObject({
  lockVersion: z.literal(1),
  image: ImageNameSchema,
  /** Digest of what the lock was resolved from (packages and suites of each variant). */
  resolvedFrom: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** The archives and suites the lock was resolved against (dev images point apt at them). */
  archives: z.array(z.strictObject({ uri: z.string().min(1), suites: z.array(z.string().min(1)).min(1) })).min(1),
  packages: z.array(LockedPackageSchema),
  variants: z.strictObject({ runtime: LockedVariantSchema, dev: LockedVariantSchema }),
});
export type Lock = z.infer<typeof LockSchema>;

export function lockDigest(lock: Lock): string {
  return sha256Digest(canonicalJson(lock));
}

/**
 * Identity of one variant's part of a lock: its packages, its
 * SOURCE_DATE_EPOCH and the archives. What goes into that variant's image, so
 * a change to the dev package set leaves the runtime image's digest alone.
 */
export function variantLockDigest(lock: Lock, variant: Variant): string {
  return sha256Digest(canonicalJson({ image: lock.image, variant, archives: lock.archives, packages: variantPackages(lock, variant), sourceDateEpoch: lock.variants[variant].sourceDateEpoch }));
}

export function variantPackages(lock: Lock, variant: Variant): LockedPackage[] {
  const names = new Set(lock.variants[variant].packages);
  return lock.packages.filter((p) => names.has(p.name));
}

/** Source name -> source version of every package in one variant. */
export function sourceVersions(lock: Lock, variant: Variant): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of variantPackages(lock, variant)) out[p.source] = p.sourceVersion;
  return out;
}

export function formatLock(lock: Lock): string {
  return JSON.stringify(lock, null, 2) + '\n';
}

export { VARIANTS };
