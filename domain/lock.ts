/**
 * A lock is the exact package set of one image definition for one Debian
 * release, for both variants and every architecture: every .deb with
 * version, source, where it came from and its sha256. Builds use a lock and
 * nothing else, so the same lock gives the same image digest per platform.
 * A lock is identified by the digest of its canonical JSON.
 */
import { z } from 'zod';
import { compareVersions } from './debian/version';
import { canonicalJson, sha256Digest } from './digest';
import { ImageNameSchema, ReleaseSchema, VARIANTS, type Variant } from './image';
import { ARCHITECTURES, type Architecture } from './platform';

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

/** One architecture's part of a lock: its packages (Architecture: all ones included) and both variants' sets. */
export const LockedPlatformSchema = z.strictObject({
  packages: z.array(LockedPackageSchema),
  variants: z.strictObject({ runtime: LockedVariantSchema, dev: LockedVariantSchema }),
});
export type LockedPlatform = z.infer<typeof LockedPlatformSchema>;

export const CURRENT_LOCK_VERSION = 2;

export const LockSchema = z.strictObject({
  lockVersion: z.literal(CURRENT_LOCK_VERSION),
  image: ImageNameSchema,
  release: ReleaseSchema,
  /** Digest of what the lock was resolved from (release, architectures, packages of each variant). */
  resolvedFrom: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** The archives and suites the lock was resolved against (dev images point apt at them). */
  archives: z.array(z.strictObject({ uri: z.string().min(1), suites: z.array(z.string().min(1)).min(1) })).min(1),
  /** By architecture, in ARCHITECTURES order; at least one. */
  platforms: z.partialRecord(z.enum(ARCHITECTURES), LockedPlatformSchema).refine((p) => Object.keys(p).length > 0, { error: 'must hold at least one architecture' }),
});
export type Lock = z.infer<typeof LockSchema>;

export function lockDigest(lock: Lock): string {
  return sha256Digest(canonicalJson(lock));
}

/** The architectures a lock holds, in ARCHITECTURES order. */
export function lockArchitectures(lock: Pick<Lock, 'platforms'>): Architecture[] {
  return ARCHITECTURES.filter((a) => lock.platforms[a] !== undefined);
}

export function lockPlatform(lock: Lock, arch: Architecture): LockedPlatform {
  const platform = lock.platforms[arch];
  if (!platform) throw new Error(`the lock of ${lock.image} (${lock.release}) has no ${arch} packages (it holds ${lockArchitectures(lock).join(', ')})`);
  return platform;
}

/**
 * Identity of one variant's part of a lock on one architecture: its
 * packages, its SOURCE_DATE_EPOCH and the archives. What goes into that
 * platform image, so a change to the dev package set (or to another
 * architecture) leaves this image's digest alone.
 */
export function variantLockDigest(lock: Lock, variant: Variant, arch: Architecture): string {
  return sha256Digest(canonicalJson({
    image: lock.image, release: lock.release, architecture: arch, variant, archives: lock.archives,
    packages: variantPackages(lock, variant, arch), sourceDateEpoch: lockPlatform(lock, arch).variants[variant].sourceDateEpoch,
  }));
}

export function variantPackages(lock: Lock, variant: Variant, arch: Architecture): LockedPackage[] {
  const platform = lockPlatform(lock, arch);
  const names = new Set(platform.variants[variant].packages);
  return platform.packages.filter((p) => names.has(p.name));
}

/**
 * Source name -> source version of every package in one variant. Across
 * architectures the oldest version counts: an advisory is fixed only when
 * every platform of the image has the fix.
 */
export function sourceVersions(lock: Lock, variant: Variant): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arch of lockArchitectures(lock)) {
    for (const p of variantPackages(lock, variant, arch)) {
      const seen = out[p.source];
      if (seen === undefined || compareVersions(p.sourceVersion, seen) < 0) out[p.source] = p.sourceVersion;
    }
  }
  return out;
}

/** Every package of one variant on every architecture (what a download or a downgrade check looks at). */
export function allVariantPackages(lock: Lock, variant: Variant): LockedPackage[] {
  return lockArchitectures(lock).flatMap((arch) => variantPackages(lock, variant, arch));
}

export function formatLock(lock: Lock): string {
  return JSON.stringify(lock, null, 2) + '\n';
}

export { VARIANTS };
