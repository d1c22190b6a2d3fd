/**
 * An archive state never goes back in time. A signed InRelease stays valid
 * forever where the suite has no Valid-Until (bookworm's main suite has
 * none), so an attacker who replays an older, validly signed InRelease and
 * its indexes could make tempered resolve older, vulnerable versions. Each
 * image workflow keeps the newest Release `Date` it has trusted per suite in
 * its own durable state (carried by continue-as-new, the same on every
 * worker) and hands it to every resolve: an older one is refused.
 */
import { ArchiveError } from './errors';
import type { ReleaseInfo } from './fetch';

/** `<archive URI> <suite>` -> the newest Release Date trusted (ISO). */
export type TrustedReleases = Readonly<Record<string, string>>;

const keyOf = (r: Pick<ReleaseInfo, 'archive' | 'suite'>) => `${r.archive} ${r.suite}`;

/** Throws ARCHIVE_OLDER_THAN_TRUSTED when a release is dated before what was trusted for its suite. */
export function assertNotOlder(releases: readonly ReleaseInfo[], trusted: TrustedReleases): void {
  for (const r of releases) {
    const before = trusted[keyOf(r)];
    if (!before || !r.date) continue;
    if (Date.parse(r.date) < Date.parse(before)) {
      throw new ArchiveError('ARCHIVE_OLDER_THAN_TRUSTED', r.url, `the archive offers ${r.suite} as of ${r.date}, older than the ${before} already trusted: a replayed archive state or a mirror gone back in time; nothing is resolved from it`);
    }
  }
}

/** The dates of `releases`, the newest per suite together with what was trusted before. */
export function trustedAfter(releases: readonly ReleaseInfo[], trusted: TrustedReleases): Record<string, string> {
  const out: Record<string, string> = { ...trusted };
  for (const r of releases) {
    if (!r.date) continue;
    const key = keyOf(r);
    const before = out[key];
    if (!before || Date.parse(r.date) > Date.parse(before)) out[key] = r.date;
  }
  return out;
}
