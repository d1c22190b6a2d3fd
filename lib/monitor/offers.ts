/**
 * What the verified archive offers an image now: whether an advisory's fix
 * can be installed, and which of the image's packages have newer versions.
 * Pure over a view of the archive, so it is tested without one.
 */
import type { Impact } from '../../domain/impact';
import type { InstalledPackage } from '../../domain/debian/status';
import { compareVersions } from '../../domain/debian/version';
import { type ArchiveView, findUpdates } from '../archive/updates';

/**
 * True when every vulnerable binary of the image that the archive still
 * carries is offered built from a source version at or above the fix (and at
 * least one is). That is what the patch cycle's `latest` resolve will pick,
 * so it is the moment a rebuild can fix the advisory.
 *
 * Matching is by each binary's own newest version, not by "any binary of the
 * source": a source's binaries can reach the archive at different times (arch:all
 * builds, a late buildd), and a rebuild is only useful once the ones this
 * image installs are there. Binaries the archive dropped are left to the
 * resolver, which reports them as unavailable.
 */
export function fixOffered(impact: Pick<Impact, 'matches'>, fixedVersion: string | null, archive: Pick<ArchiveView, 'newest'>): boolean {
  if (fixedVersion === null) return false;
  const offered = impact.matches.flatMap((match) => archive.newest(match.binary) ?? []);
  return offered.length > 0 && offered.every((pkg) => compareVersions(pkg.sourceVersion, fixedVersion) >= 0);
}

export interface ImagePackages {
  id: string;
  packages: readonly InstalledPackage[];
}

/** Per image id, the newer versions the archive offers for its packages: `name version`, sorted by name. */
export function newerPackages(images: readonly ImagePackages[], archive: ArchiveView): Map<string, string[]> {
  const byImage = new Map<string, string[]>(images.map((image) => [image.id, []]));
  const { updates } = findUpdates(Object.fromEntries(images.map((image) => [image.id, image.packages])), archive);
  for (const update of updates) {
    for (const id of update.images) byImage.get(id)?.push(`${update.name} ${update.newestVersion}`);
  }
  return byImage;
}
