/**
 * The Debian releases tempered builds, newest first. A release names its
 * archive suites, its version (what OSV's `Debian:<n>` ecosystem and
 * os-release say) and the tag its images get; `latest` follows the newest.
 */
export const RELEASES = ['trixie', 'bookworm'] as const;
export type Release = (typeof RELEASES)[number];

export const NEWEST_RELEASE: Release = RELEASES[0];

export interface ReleaseInfo {
  /** `VERSION_ID` in os-release, the `N` of OSV's `Debian:N`. */
  version: string;
  /** The suites a release's images resolve from: the point release, its updates and its security suite. */
  suites: readonly [main: string, updates: string, security: string];
  /**
   * base-files ships the merged-/usr symlinks itself (and Provides
   * usr-is-merged): trixie. Before, debootstrap and mmdebstrap's merged-usr
   * hook made them, checked by the usr-is-merged package.
   */
  baseFilesMergesUsr: boolean;
}

export const RELEASE_INFO: Readonly<Record<Release, ReleaseInfo>> = {
  trixie: { version: '13', suites: ['trixie', 'trixie-updates', 'trixie-security'], baseFilesMergesUsr: true },
  bookworm: { version: '12', suites: ['bookworm', 'bookworm-updates', 'bookworm-security'], baseFilesMergesUsr: false },
};

export function isRelease(value: unknown): value is Release {
  return typeof value === 'string' && (RELEASES as readonly string[]).includes(value);
}

/** The release whose OSV ecosystem is `Debian:<version>` (`Debian:13` -> trixie), if tempered builds it. */
export function releaseOfVersion(version: string): Release | undefined {
  return RELEASES.find((r) => RELEASE_INFO[r].version === version);
}

/**
 * The release an image's packages come from, read off its base-files
 * (`13.8+deb13u1` is trixie's, `12.4+deb12u11` bookworm's): what os-release
 * in the image says, for images whose definition is not at hand (a
 * customization, whatever its base).
 */
export function releaseOfPackages(packages: readonly { name: string; version: string }[]): Release | undefined {
  const baseFiles = packages.find((p) => p.name === 'base-files');
  const major = baseFiles?.version.split(/[.+~-]/)[0];
  return major === undefined ? undefined : releaseOfVersion(major);
}
