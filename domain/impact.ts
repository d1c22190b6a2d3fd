/**
 * Does this advisory affect this image? Pure, so the scan activity, the
 * workflow's queue and the CLI all give the same answer.
 *
 * Advisories name Debian SOURCE packages and source versions (openssl
 * 3.0.14-1~deb12u1); images contain BINARY packages (libssl3, openssl). The
 * match is therefore by each binary's source name, and the comparison uses
 * the source version: a binNMU binary `1.2-3+b1` is built from source `1.2-3`
 * and is fixed exactly when that source is.
 *
 * Each image is of one Debian release, and so is each feed record: see
 * advisoryAppliesTo for which records an image is judged against.
 */
import { type Advisory, advisoryKey } from './advisory/record';
import type { Release } from './debian/releases';
import type { InstalledPackage } from './debian/status';
import { compareVersions } from './debian/version';

/** `other-release`: the advisory is about another Debian release than the image's; not a statement about this image at all. */
export type ImpactVerdict = 'affected' | 'fixed-in-image' | 'not-installed' | 'not-affected' | 'no-fix-yet' | 'undetermined' | 'other-release';

export interface ImpactMatch {
  binary: string;
  version: string;
  source: string;
  sourceVersion: string;
  fixedVersion: string | null;
}

export interface Impact {
  /** True when the image must be (re)built or kept pending: `affected` and `no-fix-yet`. */
  affected: boolean;
  verdict: ImpactVerdict;
  /**
   * The installed binaries behind the verdict: for `affected`, only the ones
   * still below the fix (what the rebuild must change); otherwise every binary
   * built from the advisory's source.
   */
  matches: ImpactMatch[];
  explanation: string;
}

/** Installed binaries by source package name, built once per image and reused for every advisory. */
export type SourceIndex = ReadonlyMap<string, readonly InstalledPackage[]>;

export function indexBySource(packages: readonly InstalledPackage[]): SourceIndex {
  const index = new Map<string, InstalledPackage[]>();
  for (const pkg of packages) {
    const binaries = index.get(pkg.source);
    if (binaries) binaries.push(pkg);
    else index.set(pkg.source, [pkg]);
  }
  // Sorted so matches and explanations do not depend on the order of the dpkg database.
  for (const binaries of index.values()) binaries.sort(byBinaryThenArchitecture);
  return index;
}

/**
 * Whether an advisory speaks about an image of `release`. A record about one
 * release (every feed record is) applies to that release's images only:
 * bookworm's fixed version `3.0.17-1~deb12u2` says nothing about trixie's
 * openssl 3.5. A record without a release is about every release (a CLI
 * advisory without --release, records kept from before releases existed):
 * its fixed version is compared with whatever each image has.
 *
 * An image whose release is not given (`undefined`) cannot rule any record
 * out, so every record applies to it: a spurious "affected" costs an
 * on-call look, a missed one leaves an image vulnerable. Every caller that
 * knows the image's release (image workflows, the monitor, the CLI for
 * catalog images) passes it.
 */
export function advisoryAppliesTo(advisory: Pick<Advisory, 'release'>, release: Release | undefined): boolean {
  return advisory.release === undefined || release === undefined || advisory.release === release;
}

/** `release`: the Debian release of the image the packages are from (see advisoryAppliesTo when absent). */
export function assessImpact(advisory: Advisory, packages: readonly InstalledPackage[] | SourceIndex, release?: Release): Impact {
  return assessWithIndex(advisory, isSourceIndex(packages) ? packages : indexBySource(packages), release);
}

function assessWithIndex(advisory: Advisory, index: SourceIndex, release: Release | undefined): Impact {
  if (!advisoryAppliesTo(advisory, release)) {
    return verdict('other-release', [], `the advisory is about ${advisory.source} in ${advisory.release}; this image is ${release}`);
  }
  const binaries = index.get(advisory.source) ?? [];
  if (binaries.length === 0) {
    return verdict('not-installed', [], `no installed package is built from source ${advisory.source}`);
  }
  const matches = binaries.map((pkg) => matchOf(pkg, advisory.fixedVersion));
  const installed = describeInstalled(matches);
  // The release the verdict speaks of: the record's own, else the image's (unnamed when neither is known).
  const subject = `${advisory.source}${inRelease(advisory.release ?? release)}`;
  switch (advisory.status) {
    case 'not-affected':
      return verdict('not-affected', matches, `Debian marks ${subject} as never affected; installed: ${installed}`);
    case 'undetermined':
      return verdict('undetermined', matches, `Debian has not yet decided whether ${subject} is affected; installed: ${installed}`);
    case 'no-fix':
      return verdict('no-fix-yet', matches, `no fixed ${subject} yet${advisory.reason ? ` (${advisory.reason})` : ''}; installed: ${installed}`);
    case 'fixed':
      return fixedVerdict(advisory.source, advisory.fixedVersion, matches);
  }
}

const inRelease = (release: Release | undefined) => (release === undefined ? '' : ` in ${release}`);

function fixedVerdict(source: string, fixedVersion: string | null, matches: readonly ImpactMatch[]): Impact {
  // advisorySchema guarantees a version for "fixed"; reaching this is a caller bypassing it.
  if (fixedVersion === null) throw new Error(`advisory for ${source} has status "fixed" but no fixedVersion`);
  const vulnerable = matches.filter((match) => compareVersions(match.sourceVersion, fixedVersion) < 0);
  if (vulnerable.length > 0) {
    return verdict('affected', vulnerable, `installed ${describeInstalled(vulnerable)} is older than the fix ${source} ${fixedVersion}`);
  }
  return verdict('fixed-in-image', [...matches], `installed ${describeInstalled(matches)} already includes the fix ${source} ${fixedVersion}`);
}

const AFFECTING_VERDICTS: ReadonlySet<ImpactVerdict> = new Set(['affected', 'no-fix-yet']);

function verdict(kind: ImpactVerdict, matches: ImpactMatch[], explanation: string): Impact {
  return { affected: AFFECTING_VERDICTS.has(kind), verdict: kind, matches, explanation };
}

function matchOf(pkg: InstalledPackage, fixedVersion: string | null): ImpactMatch {
  return { binary: pkg.name, version: pkg.version, source: pkg.source, sourceVersion: pkg.sourceVersion, fixedVersion };
}

/**
 * `openssl 3.0.11-1~deb12u2 (libssl3, openssl)`, one group per source version
 * (all matches share the advisory's source). Built for every (advisory, image)
 * pair, so it sticks to plain arrays: the lists hold a handful of binaries.
 */
function describeInstalled(matches: readonly ImpactMatch[]): string {
  const versions: string[] = [];
  const binariesPerVersion: string[][] = [];
  for (const { sourceVersion, binary } of matches) {
    const at = versions.indexOf(sourceVersion);
    const binaries = binariesPerVersion[at];
    if (binaries === undefined) {
      versions.push(sourceVersion);
      binariesPerVersion.push([binary]);
    } else if (!binaries.includes(binary)) {
      binaries.push(binary);
    }
  }
  const source = matches[0]?.source ?? '';
  return versions.map((version, i) => `${source} ${version} (${(binariesPerVersion[i] ?? []).join(', ')})`).join('; ');
}

/** A total order on every field a match reports, so equal inputs in any order give equal results. */
function byBinaryThenArchitecture(a: InstalledPackage, b: InstalledPackage): number {
  return (
    compareText(a.name, b.name) ||
    compareText(a.architecture, b.architecture) ||
    compareText(a.version, b.version) ||
    compareText(a.sourceVersion, b.sourceVersion)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isSourceIndex(value: readonly InstalledPackage[] | SourceIndex): value is SourceIndex {
  return value instanceof Map;
}

export interface ImageContents {
  id: string;
  packages: readonly InstalledPackage[];
  /** The Debian release the image is built from; absent: every advisory applies (advisoryAppliesTo). */
  release?: Release;
}

export interface AdvisoryImpact {
  advisory: Advisory;
  impact: Impact;
}

export interface ImageImpacts {
  imageId: string;
  /**
   * Every advisory of the image's release (or of every release) whose source
   * is installed in the image, in advisory order. `not-installed` and
   * `other-release` results are left out: they are nearly all of them and
   * carry no information about the image.
   */
  impacts: AdvisoryImpact[];
}

/**
 * Every advisory against every image. Each image's packages are indexed by
 * source once, so the cost is one map lookup per (advisory, image) plus a
 * version comparison per matching binary.
 */
export function assessImpactOnImages(advisories: readonly Advisory[], images: readonly ImageContents[]): ImageImpacts[] {
  return images.map((image) => {
    const index = indexBySource(image.packages);
    const impacts: AdvisoryImpact[] = [];
    for (const advisory of advisories) {
      if (!index.has(advisory.source) || !advisoryAppliesTo(advisory, image.release)) continue;
      impacts.push({ advisory, impact: assessWithIndex(advisory, index, image.release) });
    }
    return { imageId: image.id, impacts };
  });
}

/** What a scan reports per advisory: is its source in the image, and is it fixed there. */
export interface ScanVerdict {
  key: string;
  present: boolean;
  fixed: boolean;
  installedSourceVersion?: string;
}

/**
 * The scan stage's decision for each advisory, from an image's installed
 * packages. An advisory of another release than `release` is reported as not
 * present: that release's package is not in this image.
 */
export function scanVerdicts(advisories: readonly Advisory[], packages: readonly InstalledPackage[], release?: Release): ScanVerdict[] {
  const bySource = indexBySource(packages);
  return advisories.map((advisory) => {
    const impact = assessImpact(advisory, bySource, release);
    const installed = impact.verdict === 'other-release' ? undefined : bySource.get(advisory.source)?.[0]?.sourceVersion;
    return {
      key: advisoryKey(advisory),
      present: impact.verdict !== 'not-installed' && impact.verdict !== 'other-release',
      fixed: impact.verdict === 'fixed-in-image' || impact.verdict === 'not-affected',
      ...(installed ? { installedSourceVersion: installed } : {}),
    };
  });
}
