/**
 * Reads Debian archives the way apt does, minus apt: verified InRelease per
 * suite, Packages indexes checked against it, all cached on disk by content;
 * and single .deb files into a content-addressed cache.
 *
 * Trust chain: keyring -> gpgv-verified InRelease -> SHA256 + size of each
 * index -> SHA256 + size of each .deb in the index. Nothing unverified is
 * parsed, decompressed or cached.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MergedPackageIndex } from '../../domain/debian/mergedIndex';
import { PackageIndex, parsePackagesIndex } from '../../domain/debian/packages';
import type { LockedPackage } from '../../domain/lock';
import { downloadVerified } from './download';
import { ArchiveError, isArchiveError } from './errors';
import { digestFile, fileExists, touchCacheEntry } from './files';
import { obtainPackagesIndex } from './indexFiles';
import { fetchVerifiedRelease, suiteUrl } from './inRelease';
import type { ArchiveSource } from './sources';
import type { TransportOptions } from './transport';

export interface LoadArchiveOptions extends TransportOptions {
  /** Verified, decompressed indexes are kept under `<cacheDir>/indexes/`. */
  cacheDir: string;
  /** The time Valid-Until is checked against; defaults to the clock. */
  now?: Date;
  /** A previous load: its Packages files that did not change are reused as they were parsed and indexed. */
  reuse?: LoadedArchive;
}

/** One Packages index as loaded: enough to tell a cache hit from a download and to size the work. */
export interface IndexInfo {
  component: string;
  architecture: string;
  url: string;
  packages: number;
  /** Size of the decompressed index. */
  bytes: number;
  /** Bytes downloaded for it: 0 when it came from the cache. */
  downloadedBytes: number;
  fromCache: boolean;
}

/**
 * What was trusted, for the record (activity results, provenance). Plain JSON:
 * dates are ISO strings so the record survives Temporal's payload converter.
 */
export interface ReleaseInfo {
  archive: string;
  suite: string;
  /** The InRelease URL and the SHA256 of its bytes: this exact state of the archive. */
  url: string;
  sha256: string;
  signers: string[];
  origin?: string;
  label?: string;
  codename?: string;
  date?: string;
  validUntil?: string;
  indexes: IndexInfo[];
}

/** A package stanza left out of an index (see parsePackagesIndex), with the index it came from. */
export interface ArchiveProblem {
  url: string;
  package: string | undefined;
  reason: string;
}

export interface LoadedArchive {
  index: PackageIndex;
  releases: ReleaseInfo[];
  problems: ArchiveProblem[];
  /** Each Packages file as parsed and indexed, by parsedKey: what a later load reuses. */
  parsed: ReadonlyMap<string, ParsedIndex>;
}

/** One verified Packages file, parsed and indexed. */
interface ParsedIndex {
  index: PackageIndex;
  packages: number;
  bytes: number;
  problems: ArchiveProblem[];
}

interface SuiteLoad {
  release: ReleaseInfo;
  parsed: Map<string, ParsedIndex>;
}

/**
 * The cache file is named by the index's content; the packages parsed from it
 * also carry where they came from (archive, suite, component), so all four
 * name one parse.
 */
const parsedKey = (file: string, archive: string, suite: string, component: string) => JSON.stringify([file, archive, suite, component]);

async function parseIndexFile(file: string, url: string, origin: { archive: string; suite: string; component: string }): Promise<ParsedIndex> {
  const text = await readFile(file, 'utf8');
  const parsed = parsePackagesIndex(text, origin);
  return {
    index: new PackageIndex(parsed.packages),
    packages: parsed.packages.length,
    bytes: Buffer.byteLength(text),
    problems: parsed.problems.map((problem) => ({ url, ...problem })),
  };
}

async function loadSuite(source: ArchiveSource, suite: string, options: LoadArchiveOptions, now: Date): Promise<SuiteLoad> {
  const verified = await fetchVerifiedRelease(source.uri, suite, source.keyring, now, options);
  const { release } = verified;
  const info: ReleaseInfo = {
    archive: source.uri,
    suite,
    url: verified.url,
    sha256: verified.sha256,
    signers: verified.signers,
    ...(release.origin === undefined ? {} : { origin: release.origin }),
    ...(release.label === undefined ? {} : { label: release.label }),
    ...(release.codename === undefined ? {} : { codename: release.codename }),
    ...(release.date === undefined ? {} : { date: release.date.toISOString() }),
    ...(release.validUntil === undefined ? {} : { validUntil: release.validUntil.toISOString() }),
    indexes: [],
  };
  const parsed = new Map<string, ParsedIndex>();
  for (const component of source.components) {
    for (const architecture of source.architectures) {
      const url = suiteUrl(source.uri, suite);
      const local = await obtainPackagesIndex(url, release, component, architecture, options.cacheDir, options);
      const key = parsedKey(local.file, source.uri, suite, component);
      const index = options.reuse?.parsed.get(key) ?? (await parseIndexFile(local.file, local.url, { archive: source.uri, suite, component }));
      parsed.set(key, index);
      info.indexes.push({
        component,
        architecture,
        url: local.url,
        packages: index.packages,
        bytes: index.bytes,
        downloadedBytes: local.downloadedBytes,
        fromCache: local.fromCache,
      });
    }
  }
  return { release: info, parsed };
}

/**
 * Loads every suite of every source into one PackageIndex. Suites load in
 * parallel; the first failure rejects the whole load, because an index
 * missing a suite (say, security) would silently offer older versions.
 */
export async function loadArchive(sources: readonly ArchiveSource[], options: LoadArchiveOptions): Promise<LoadedArchive> {
  const now = options.now ?? new Date();
  const loads = await Promise.all(
    sources.flatMap((source) => source.suites.map((suite) => loadSuite(source, suite, options, now))),
  );
  const parsed = new Map(loads.flatMap((load) => [...load.parsed]));
  const parts = [...parsed.values()];
  return {
    index: new MergedPackageIndex(parts.map((part) => part.index)),
    releases: loads.map((load) => load.release),
    problems: parts.flatMap((part) => part.problems),
    parsed,
  };
}

/** What fetchDeb needs to know about a .deb: a lock entry or a BinaryPackage (with its origin's archive). */
export type DebLocation = Pick<LockedPackage, 'archive' | 'filename' | 'sha256' | 'size'>;

export interface FetchDebOptions extends TransportOptions {
  /** Re-hash a cached file and download again if it does not match. Off by default: the name is the hash. */
  verifyCached?: boolean;
}

/**
 * Downloads a .deb into `<debCacheDir>/<sha256>.deb` (atomically, checked
 * against sha256 and size) and returns that path. A file already there was
 * verified when it was written, so by default a hit costs a stat and a touch.
 */
export async function fetchDeb(entry: DebLocation, debCacheDir: string, options: FetchDebOptions = {}): Promise<string> {
  const url = `${entry.archive.replace(/\/+$/, '')}/${entry.filename}`;
  // The hash becomes a file name: never let an index choose a path.
  if (!/^[0-9a-f]{64}$/.test(entry.sha256)) {
    throw new ArchiveError('ARCHIVE_HASH_MISMATCH', url, `invalid SHA256 "${entry.sha256}"`);
  }
  const path = join(debCacheDir, `${entry.sha256}.deb`);
  if (await fileExists(path)) {
    const intact = async () => {
      const cached = await digestFile(path);
      return cached.sha256 === entry.sha256 && cached.size === entry.size;
    };
    if (!options.verifyCached || (await intact())) {
      await touchCacheEntry(path);
      return path;
    }
    await rm(path, { force: true });
  }
  await downloadVerified(url, path, { sha256: entry.sha256, size: entry.size }, options);
  return path;
}

/**
 * Locked packages neither in the deb cache nor offered by their archive any
 * more ("name version"): what a lock can no longer be built from. Any other
 * archive failure (unreachable, tampered) is thrown, not counted.
 */
export async function unobtainableDebs(packages: readonly LockedPackage[], debCacheDir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const p of packages) {
    try {
      await fetchDeb(p, debCacheDir);
    } catch (err) {
      if (isArchiveError(err, 'ARCHIVE_MISSING_INDEX')) missing.push(`${p.name} ${p.version}`);
      else throw err;
    }
  }
  return missing;
}
