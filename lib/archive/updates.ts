/**
 * Compares what images have locked with what the archive offers now: which
 * locked packages have a newer version (the maximum over all suites: a
 * bookworm point release can be newer than bookworm-security), and which
 * locked versions the archive no longer offers at all.
 *
 * The second list matters on its own: Debian drops a superseded version from
 * its indexes, so an image whose lock names it can no longer be rebuilt
 * from that lock. That is an upstream change to act on, not a build error to
 * discover later.
 */
import type { PackageIndex } from '../../domain/debian/packages';
import type { LockedPackage } from '../../domain/lock';
import { compareVersions } from '../../domain/debian/version';

export type LockEntry = Pick<LockedPackage, 'name' | 'version' | 'source' | 'sourceVersion'>;

/** Lock entries per image, keyed by an image id such as `base:runtime`. */
export type LocksByImage = Readonly<Record<string, readonly LockEntry[]>>;

export interface PackageUpdate {
  name: string;
  lockedVersion: string;
  newestVersion: string;
  /** Suite the newest version comes from, e.g. `bookworm-security`. */
  newestSuite: string;
  /** Source package of the newest binary: what advisories name. */
  source: string;
  /** Source versions before and after: what an advisory's "fixed in" is compared with. */
  lockedSourceVersion: string;
  newestSourceVersion: string;
  /** Images whose lock holds `name` at `lockedVersion`, sorted. */
  images: string[];
}

export interface WithdrawnPackage {
  name: string;
  /** The locked version no suite offers any more. */
  version: string;
  /** The newest version still offered, or undefined when the package is gone from the archive. */
  newestVersion?: string;
  images: string[];
}

export interface UpdateReport {
  updates: PackageUpdate[];
  withdrawn: WithdrawnPackage[];
}

/** The part of PackageIndex this needs, so tests and callers can pass any view of an archive. */
export type ArchiveView = Pick<PackageIndex, 'newest' | 'find'>;

const byNameThenVersion = (a: { name: string }, b: { name: string }, av: string, bv: string): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(av, bv);

/** Every distinct (name, version) in the locks, with the images that hold it. */
function lockedVersions(locks: LocksByImage): Map<string, LockEntry & { images: Set<string> }> {
  const locked = new Map<string, LockEntry & { images: Set<string> }>();
  for (const [image, entries] of Object.entries(locks)) {
    for (const entry of entries) {
      const key = `${entry.name}\u0000${entry.version}`;
      const seen = locked.get(key) ?? { ...entry, images: new Set<string>() };
      seen.images.add(image);
      locked.set(key, seen);
    }
  }
  return locked;
}

export function findUpdates(locks: LocksByImage, archive: ArchiveView): UpdateReport {
  const updates: PackageUpdate[] = [];
  const withdrawn: WithdrawnPackage[] = [];
  for (const { name, version, sourceVersion, images } of lockedVersions(locks).values()) {
    const imageList = [...images].sort();
    const newest = archive.newest(name);
    if (archive.find(name, version) === undefined) {
      withdrawn.push({ name, version, ...(newest ? { newestVersion: newest.version } : {}), images: imageList });
    }
    if (newest && compareVersions(newest.version, version) > 0) {
      updates.push({
        name,
        lockedVersion: version,
        newestVersion: newest.version,
        newestSuite: newest.origin.suite,
        source: newest.source,
        lockedSourceVersion: sourceVersion,
        newestSourceVersion: newest.sourceVersion,
        images: imageList,
      });
    }
  }
  updates.sort((a, b) => byNameThenVersion(a, b, a.lockedVersion, b.lockedVersion));
  withdrawn.sort((a, b) => byNameThenVersion(a, b, a.version, b.version));
  return { updates, withdrawn };
}
