/**
 * Gets one Packages index (one component, one architecture of a suite) onto
 * disk, decompressed and verified against the signed Release, through a
 * content-addressed cache: `<cacheDir>/indexes/sha256-<hex>` where <hex> is
 * the SHA256 of the decompressed index as the Release lists it. An index
 * whose content did not change is therefore never downloaded twice, even
 * when the InRelease around it is re-signed with a new Date every day.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { COMPRESSION_SUFFIXES, decompressFile, type Compression } from './decompress';
import { downloadVerified } from './download';
import { ArchiveError, isArchiveError } from './errors';
import { fileExists, temporaryPathFor, touchCacheEntry, writeAtomically, type Digest } from './files';
import type { ReleaseFile } from './release';
import type { TransportOptions } from './transport';

export interface IndexVariant {
  /** Path relative to `dists/<suite>/`, e.g. `main/binary-amd64/Packages.xz`. */
  path: string;
  compression: Compression;
  digest: Digest;
}

export interface LocalIndex {
  /** Where the decompressed, verified index is in the cache. */
  file: string;
  /** The URL it was (or, for a cache hit, would have been) downloaded from. */
  url: string;
  fromCache: boolean;
  /** Bytes transferred from the mirror: the compressed size, or 0 on a cache hit. */
  downloadedBytes: number;
}

/** The variants of `component`/`architecture`'s Packages index the Release lists, best first. */
export function listedVariants(release: ReleaseFile, component: string, architecture: string): IndexVariant[] {
  const base = `${component}/binary-${architecture}/Packages`;
  const variants: IndexVariant[] = [];
  for (const [compression, suffix] of COMPRESSION_SUFFIXES) {
    const digest = release.files.get(base + suffix);
    if (digest) variants.push({ path: base + suffix, compression, digest });
  }
  return variants;
}

/**
 * Cache key: the decompressed index's own SHA256 when the Release lists it
 * (Debian's and apt-ftparchive's do), else the compressed file's, marked so
 * the two kinds of names cannot collide.
 */
function cacheName(variants: readonly IndexVariant[]): string {
  const plain = variants.find((variant) => variant.compression === 'none');
  if (plain) return `sha256-${plain.digest.sha256}`;
  const best = variants[0];
  if (!best) throw new Error('cacheName needs at least one variant');
  return `sha256-${best.digest.sha256}.${best.compression}-decoded`;
}

/**
 * Where to download a variant from. With Acquire-By-Hash the file is asked
 * for by content, so a mirror that swaps its indexes between our InRelease
 * and Packages requests still serves the file that InRelease describes.
 */
function candidateUrls(suiteUrl: string, variant: IndexVariant, acquireByHash: boolean): string[] {
  const canonical = `${suiteUrl}/${variant.path}`;
  if (!acquireByHash) return [canonical];
  const directory = variant.path.slice(0, variant.path.lastIndexOf('/'));
  return [`${suiteUrl}/${directory}/by-hash/SHA256/${variant.digest.sha256}`, canonical];
}

async function download(
  suiteUrl: string,
  variant: IndexVariant,
  acquireByHash: boolean,
  to: string,
  transport: TransportOptions,
): Promise<string> {
  let missing: ArchiveError | undefined;
  for (const url of candidateUrls(suiteUrl, variant, acquireByHash)) {
    try {
      await downloadVerified(url, to, variant.digest, transport);
      return url;
    } catch (error) {
      if (!isArchiveError(error, 'ARCHIVE_MISSING_INDEX')) throw error;
      missing = error;
    }
  }
  throw missing ?? new ArchiveError('ARCHIVE_MISSING_INDEX', `${suiteUrl}/${variant.path}`, 'not found');
}

/** Downloads one variant, decompresses it into `cacheFile` and checks the result against the Release. */
async function fetchVariant(
  suiteUrl: string,
  acquireByHash: boolean,
  variant: IndexVariant,
  plain: Digest | undefined,
  cacheFile: string,
  transport: TransportOptions,
): Promise<LocalIndex> {
  const compressedFile = await temporaryPathFor(`${cacheFile}.download`);
  try {
    const url = await download(suiteUrl, variant, acquireByHash, compressedFile, transport);
    await writeAtomically(cacheFile, async (tmpPath) => {
      let decoded: Digest;
      try {
        decoded = await decompressFile(compressedFile, tmpPath, variant.compression);
      } catch (error) {
        // The compressed bytes matched the signed hash, so they are what the archive published.
        throw new ArchiveError('ARCHIVE_HASH_MISMATCH', url, `does not decompress: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (plain && (decoded.sha256 !== plain.sha256 || decoded.size !== plain.size)) {
        throw new ArchiveError('ARCHIVE_HASH_MISMATCH', url, 'decompressed content does not match the Release');
      }
    });
    return { file: cacheFile, url, fromCache: false, downloadedBytes: variant.digest.size };
  } finally {
    await rm(compressedFile, { force: true });
  }
}

/** Returns `component`/`architecture`'s Packages index from the cache, downloading it on a miss. */
export async function obtainPackagesIndex(
  suiteUrl: string,
  release: ReleaseFile,
  component: string,
  architecture: string,
  cacheDir: string,
  transport: TransportOptions,
): Promise<LocalIndex> {
  const variants = listedVariants(release, component, architecture);
  const first = variants[0];
  if (!first) {
    throw new ArchiveError(
      'ARCHIVE_MISSING_INDEX',
      `${suiteUrl}/InRelease`,
      `Release lists no Packages index for ${component}/binary-${architecture}`,
    );
  }
  const plain = variants.find((variant) => variant.compression === 'none')?.digest;
  const cacheFile = join(cacheDir, 'indexes', cacheName(variants));
  if (await fileExists(cacheFile)) {
    await touchCacheEntry(cacheFile);
    return { file: cacheFile, url: `${suiteUrl}/${first.path}`, fromCache: true, downloadedBytes: 0 };
  }
  // Debian lists uncompressed (and sometimes .gz) indexes it does not serve; try the next variant on a 404.
  let lastMissing: unknown;
  for (const variant of variants) {
    try {
      return await fetchVariant(suiteUrl, release.acquireByHash, variant, plain, cacheFile, transport);
    } catch (error) {
      if (!isArchiveError(error, 'ARCHIVE_MISSING_INDEX')) throw error;
      lastMissing = error;
    }
  }
  throw lastMissing;
}
