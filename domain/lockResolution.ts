/**
 * Turns resolver output into a lock, and compares locks. Pure: the archive
 * index comes in as an argument. The SOURCE_DATE_EPOCH of a variant is kept
 * from the previous lock when that variant's package set did not change, so
 * re-resolving an unchanged archive gives back the same lock digest and the
 * same image digests.
 */
import type { LockRequest } from './catalog/lockRequest';
import type { BinaryPackage, PackageIndex } from './debian/packages';
import { resolve } from './debian/resolve';
import { compareVersions } from './debian/version';
import type { Release } from './debian/releases';
import { type Lock, lockArchitectures, type LockedPackage, type LockedPlatform, lockPlatform, variantPackages } from './lock';
import { ARCHITECTURES, type Architecture } from './platform';
import { VARIANTS, type Variant } from './image';

export function lockedFrom(pkg: BinaryPackage): LockedPackage {
  return {
    name: pkg.name,
    version: pkg.version,
    architecture: pkg.architecture,
    source: pkg.source,
    sourceVersion: pkg.sourceVersion,
    archive: pkg.origin.archive,
    suite: pkg.origin.suite,
    filename: pkg.filename,
    size: pkg.size,
    sha256: pkg.sha256,
  };
}


/** What one architecture resolves from: its package index and the Essential names in it. */
export interface PlatformIndex {
  architecture: Architecture;
  index: PackageIndex;
  /** All Essential package names of the architecture's archive (PackageIndex.essentialNames: dev images carry them, so dpkg works). */
  essential: string[];
}

export interface NewLockInput {
  image: string;
  release: Release;
  platforms: readonly PlatformIndex[];
  request: LockRequest;
  requestDigest: string;
  /** Archive base URIs and the suites read from each. */
  archives: { uri: string; suites: string[] }[];
  previous?: Lock;
  now: Date;
}

/** Both variants' package sets on one architecture. */
function resolvePlatform(platform: PlatformIndex, request: LockRequest): LockedPlatform {
  const byName = new Map<string, LockedPackage>();
  const names: Record<Variant, string[]> = { runtime: [], dev: [] };
  for (const variant of VARIANTS) {
    const req = request[variant];
    const include = req.essential ? [...new Set([...platform.essential, ...req.include])] : req.include;
    const { packages } = resolve(platform.index, { include, exclude: req.exclude, architecture: platform.architecture });
    for (const pkg of packages) {
      const locked = lockedFrom(pkg);
      const seen = byName.get(pkg.name);
      if (seen && seen.version !== locked.version) {
        throw new Error(`${pkg.name} resolves to ${seen.version} for one variant and ${locked.version} for the other (${platform.architecture})`);
      }
      byName.set(pkg.name, locked);
      names[variant].push(pkg.name);
    }
  }
  return {
    packages: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    variants: {
      runtime: { packages: names.runtime.sort(), sourceDateEpoch: 0 },
      dev: { packages: names.dev.sort(), sourceDateEpoch: 0 },
    },
  };
}

export function resolveNewLock(input: NewLockInput): Lock {
  const platforms: Lock['platforms'] = {};
  for (const platform of [...input.platforms].sort((a, b) => ARCHITECTURES.indexOf(a.architecture) - ARCHITECTURES.indexOf(b.architecture))) {
    platforms[platform.architecture] = resolvePlatform(platform, input.request);
  }
  const draft: Lock = {
    lockVersion: 2,
    image: input.image,
    release: input.release,
    resolvedFrom: input.requestDigest,
    archives: [...input.archives]
      .map((a) => ({ uri: a.uri, suites: [...a.suites].sort() }))
      .sort((a, b) => (a.uri < b.uri ? -1 : 1)),
    platforms,
  };
  // A variant whose packages did not change on an architecture keeps its
  // SOURCE_DATE_EPOCH there, so its image digest stays the same.
  const epoch = Math.floor(input.now.getTime() / 1000);
  for (const arch of lockArchitectures(draft)) {
    for (const variant of VARIANTS) {
      const previous = input.previous?.platforms[arch];
      const unchanged = input.previous && previous && sameVariant(input.previous, draft, variant, arch);
      lockPlatform(draft, arch).variants[variant].sourceDateEpoch = unchanged ? previous.variants[variant].sourceDateEpoch : epoch;
    }
  }
  return draft;
}

const fingerprint = (lock: Lock, variant: Variant, arch: Architecture) =>
  variantPackages(lock, variant, arch)
    .map((p) => `${p.name}=${p.version}:${p.sha256}`)
    .join('\n');

export function sameVariant(a: Lock, b: Lock, variant: Variant, arch: Architecture): boolean {
  return fingerprint(a, variant, arch) === fingerprint(b, variant, arch);
}

/** "libssl3 3.0.15-1~deb12u1 -> 3.0.16-1~deb12u1", "+ libfoo 1.0-1", "- libbar 2.0-1" for one variant on one architecture. */
export function lockChanges(before: Lock | undefined, after: Lock, variant: Variant, arch: Architecture): string[] {
  const old = before?.platforms[arch] ? variantPackages(before, variant, arch) : [];
  return packageChanges(old, variantPackages(after, variant, arch));
}

/** "name a -> b", "+ name v", "- name v" between two package lists, sorted. */
export function packageChanges(before: readonly { name: string; version: string }[], after: readonly { name: string; version: string }[]): string[] {
  const old = new Map(before.map((p) => [p.name, p.version]));
  const next = new Map(after.map((p) => [p.name, p.version]));
  const changes: string[] = [];
  for (const [name, version] of next) {
    const was = old.get(name);
    if (was === undefined) changes.push(`+ ${name} ${version}`);
    else if (was !== version) changes.push(`${name} ${was} -> ${version}`);
  }
  for (const [name, version] of old) if (!next.has(name)) changes.push(`- ${name} ${version}`);
  return changes.sort();
}

/** "name old -> new" for every package `after` holds at an older version than `before`, sorted. */
export function packageDowngrades(before: readonly { name: string; version: string }[], after: readonly { name: string; version: string }[]): string[] {
  const old = new Map(before.map((p) => [p.name, p.version]));
  return after.flatMap((p) => {
    const was = old.get(p.name);
    return was !== undefined && compareVersions(p.version, was) < 0 ? [`${p.name} ${was} -> ${p.version}`] : [];
  }).sort();
}
