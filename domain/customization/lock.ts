/**
 * The lock of a customization: the exact extra packages it adds on top of its
 * base image, and nothing the base already has. Resolved against the archive
 * with the base's installed packages standing in for their names (see
 * domain/debian/installed.ts), so the same extras on a patched base usually
 * give the same lock, and a lock that no longer fits the base is noticed.
 *
 * Like an image lock it is identified by the digest of its canonical JSON;
 * the base digest is NOT part of it (the build key has it), so a base patch
 * does not churn the lock file checked in beside the customization.
 */
import { z } from 'zod';
import { canonicalJson, sha256Digest } from '../digest';
import { type BinaryPackage, type PackageIndex } from '../debian/packages';
import { InstalledOverlay, provides } from '../debian/installed';
import { resolve } from '../debian/resolve';
import type { Release } from '../debian/releases';
import { ImageNameSchema, ReleaseSchema, type Variant, VariantSchema } from '../image';
import { type LockedPackage, LockedPackageSchema } from '../lock';
import { lockedFrom, packageChanges } from '../lockResolution';
import type { Customization } from './schema';

export const CustomLockSchema = z.strictObject({
  lockVersion: z.literal(1),
  customization: ImageNameSchema,
  /** `release` absent: a lock from before releases, on bookworm. */
  base: z.strictObject({ image: ImageNameSchema, release: ReleaseSchema.optional(), variant: VariantSchema }),
  /** Digest of the request (extra packages, base, exclusions) the lock was resolved from. */
  resolvedFrom: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  archives: z.array(z.strictObject({ uri: z.string().min(1), suites: z.array(z.string().min(1)).min(1) })),
  /** The extra packages only, sorted by name; empty when the customization adds none. */
  packages: z.array(LockedPackageSchema),
  /** When the extra package set last changed; the image's `created` is the later of this and the base's. */
  sourceDateEpoch: z.number().int().nonnegative(),
});
export type CustomLock = z.infer<typeof CustomLockSchema>;

export interface CustomLockRequest {
  base: { image: string; release: Release; variant: Variant };
  packages: string[];
  /** The base's exclusions (its definition and variant policy): treated as present, never added. */
  exclude: string[];
}

export function customLockRequest(customization: Customization, exclude: readonly string[]): CustomLockRequest {
  return {
    base: { image: customization.base.image, release: customization.base.release, variant: customization.base.variant },
    packages: [...customization.packages].sort(),
    exclude: [...exclude].sort(),
  };
}

export const customLockRequestDigest = (request: CustomLockRequest): string => sha256Digest(canonicalJson(request));
export const customLockDigest = (lock: CustomLock): string => sha256Digest(canonicalJson(lock));
export const formatCustomLock = (lock: CustomLock): string => JSON.stringify(lock, null, 2) + '\n';

export interface ResolveExtrasInput {
  customization: string;
  request: CustomLockRequest;
  requestDigest: string;
  index: PackageIndex;
  /** The base image's installed packages (from its dpkg status). */
  installed: readonly BinaryPackage[];
  archives: { uri: string; suites: string[] }[];
  previous?: CustomLock;
  now: Date;
}

/**
 * Resolves the extras on top of the base and keeps only what the base lacks.
 * Throws the resolver's errors (UnknownPackageError, UnsatisfiableError...)
 * with their messages, which name the dependency chain.
 */
export function resolveExtras(input: ResolveExtrasInput): CustomLock {
  const overlay = new InstalledOverlay(input.index, input.installed);
  const { packages } = resolve(overlay, { include: input.request.packages, exclude: input.request.exclude, architecture: 'amd64' });
  const extra = packages.filter((p) => !overlay.isInstalled(p.name)).map(lockedFrom);
  const unchanged = input.previous && fingerprint(input.previous.packages) === fingerprint(extra);
  return {
    lockVersion: 1,
    customization: input.customization,
    base: input.request.base,
    resolvedFrom: input.requestDigest,
    archives: [...input.archives].map((a) => ({ uri: a.uri, suites: [...a.suites].sort() })).sort((a, b) => (a.uri < b.uri ? -1 : 1)),
    packages: extra,
    sourceDateEpoch: unchanged && input.previous ? input.previous.sourceDateEpoch : Math.floor(input.now.getTime() / 1000),
  };
}

const fingerprint = (packages: readonly LockedPackage[]) => packages.map((p) => `${p.name}=${p.version}:${p.sha256}`).join('\n');

/**
 * Why a kept lock no longer fits a (patched) base, or [] when it still does:
 * the base now ships one of the extras itself, or an extra's dependency on a
 * package of the base names a version the base no longer has (an `=`
 * dependency on a library the base patched). A dependency whose alternatives
 * name nothing present is left to the resolver: it may be satisfied by an
 * exclusion, which only the archive index can tell.
 */
export function lockMisfits(locked: readonly BinaryPackage[], installed: readonly BinaryPackage[]): string[] {
  const base = new Map(installed.map((p) => [p.name, p]));
  const present = [...installed, ...locked];
  const problems: string[] = [];
  for (const pkg of locked) {
    const inBase = base.get(pkg.name);
    if (inBase) problems.push(`${pkg.name} is now in the base image (${inBase.version})`);
  }
  for (const pkg of locked) {
    for (const group of [...pkg.preDepends, ...pkg.depends]) {
      const named = group.filter((relation) => present.some((p) => p.name === relation.name || p.provides.some((v) => v.name === relation.name)));
      if (named.length < group.length) continue;
      if (!group.some((relation) => present.some((p) => provides(p, relation)))) {
        const wanted = group.map((r) => `${r.name}${r.relation ? ` (${r.relation} ${r.version})` : ''}`).join(' | ');
        const have = group.map((r) => base.get(r.name)).filter((p) => p !== undefined).map((p) => `${p.name} ${p.version}`);
        problems.push(`${pkg.name} ${pkg.version} needs ${wanted}${have.length ? `, the base has ${have.join(', ')}` : ''}`);
      }
    }
  }
  return problems;
}

/** "+ curl 7.88.1-10+deb12u14", "libcurl4 a -> b", "- foo 1.0" between two locks' extra packages. */
export function customLockChanges(before: CustomLock | undefined, after: CustomLock): string[] {
  return packageChanges(before?.packages ?? [], after.packages);
}
