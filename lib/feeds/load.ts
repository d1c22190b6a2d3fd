/**
 * Reads an advisory feed from wherever it lives — a JSON file, a directory of
 * them, OSV's `all.zip`, or an http(s) URL — and normalizes it to advisory
 * records.
 *
 * Two kinds of failure are kept apart on purpose. A feed we cannot reach (no
 * such file, HTTP 503, a corrupt zip) throws `FeedLoadError`: the activity's
 * retry policy deals with it. A bad entry inside a readable feed is a problem
 * in the result: it is skipped and the good entries still count, because one
 * malformed record must not hide every other advisory.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { text as readStreamText } from 'node:stream/consumers';
import * as yauzl from 'yauzl';
import { looksLikeOsv, normalizeOsvDocument } from '../../domain/advisory/osv';
import {
  type Advisory,
  type FeedProblem,
  type NormalizedFeed,
  type SkipReason,
  advisoryKey,
  mergeFeeds,
} from '../../domain/advisory/record';
import { looksLikeTracker, normalizeTracker } from '../../domain/advisory/tracker';

export type FeedKind = 'osv' | 'debian-tracker';

export interface LoadFeedOptions {
  /** Skip format detection: every document is read as this kind. */
  kind?: FeedKind;
  /** OSV `affected[].package.ecosystem` values to read; default `Debian:12`. */
  ecosystems?: readonly string[];
  /** Whole-request budget for URL feeds; the tracker's JSON is tens of MB. */
  timeoutMs?: number;
}

export interface LoadedFeed {
  records: Advisory[];
  problems: FeedProblem[];
  /** Entries left out on purpose (other releases, withdrawn records), counted rather than listed: all.zip holds thousands. */
  skipped: Record<SkipReason, number>;
}

export type FeedLoadErrorCode = 'feed-unreadable' | 'feed-url-refused' | 'feed-http-status' | 'feed-bad-zip';

export class FeedLoadError extends Error {
  override readonly name = 'FeedLoadError';
  constructor(
    readonly code: FeedLoadErrorCode,
    readonly location: string,
    problem: string,
  ) {
    super(`cannot load advisory feed ${location}: ${problem}`);
  }
}

/** One JSON text and where it came from, e.g. `all.zip!DSA-5514-1.json`. */
interface FeedDocument {
  where: string;
  text: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** An OSV record is a few KB; an entry far larger than this is a zip bomb, not an advisory. */
const MAX_ZIP_ENTRY_BYTES = 32 * 1024 * 1024;

const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const EMPTY_ZIP_MAGIC = Buffer.from('PK\x05\x06', 'latin1');

export async function loadFeed(location: string, options: LoadFeedOptions = {}): Promise<LoadedFeed> {
  const { documents, problems } = await readDocuments(location, options);
  const feeds = documents.map((document) => normalizeDocument(document, options));
  const merged = mergeFeeds([{ records: [], problems, skipped: [] }, ...feeds]);
  return { records: dedupe(merged.records), problems: merged.problems, skipped: countSkips(merged) };
}

async function readDocuments(location: string, options: LoadFeedOptions): Promise<{ documents: FeedDocument[]; problems: FeedProblem[] }> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return fromBytes(await fetchFeed(location, options), location);
  const kind = await statKind(location);
  if (kind === 'directory') return { documents: await readJsonDirectory(location), problems: [] };
  return fromBytes(await readLocal(location), basename(location));
}

/** Zips are recognized by content, not name: a URL such as `.../download?format=zip` says nothing. */
async function fromBytes(bytes: Buffer, where: string): Promise<{ documents: FeedDocument[]; problems: FeedProblem[] }> {
  if (isZip(bytes)) return readZip(bytes, where);
  return { documents: [{ where, text: bytes.toString('utf8') }], problems: [] };
}

function isZip(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 4);
  return head.equals(ZIP_MAGIC) || head.equals(EMPTY_ZIP_MAGIC);
}

async function statKind(path: string): Promise<'directory' | 'file'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'file';
  } catch (error) {
    throw new FeedLoadError('feed-unreadable', path, errorMessage(error));
  }
}

async function readLocal(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new FeedLoadError('feed-unreadable', path, errorMessage(error));
  }
}

/** Every `*.json` directly in the directory, in name order so results do not depend on the file system. */
async function readJsonDirectory(directory: string): Promise<FeedDocument[]> {
  const names = (await readdir(directory, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => entry.name)
    .sort();
  const label = basename(directory);
  return Promise.all(names.map(async (name) => ({ where: `${label}/${name}`, text: (await readLocal(join(directory, name))).toString('utf8') })));
}

/** OSV's all.zip: one record per `*.json` entry. Entries are sorted by name for a stable result. */
async function readZip(bytes: Buffer, label: string): Promise<{ documents: FeedDocument[]; problems: FeedProblem[] }> {
  const documents: FeedDocument[] = [];
  const problems: FeedProblem[] = [];
  try {
    const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
    for await (const entry of zip.eachEntry()) {
      if (!entry.fileName.endsWith('.json')) continue;
      const where = `${label}!${entry.fileName}`;
      if (entry.uncompressedSize > MAX_ZIP_ENTRY_BYTES) {
        problems.push({ where, problem: `(document): ${entry.uncompressedSize} bytes is larger than the ${MAX_ZIP_ENTRY_BYTES}-byte limit for one record` });
        continue;
      }
      documents.push({ where, text: await readStreamText(await zip.openReadStreamPromise(entry)) });
    }
  } catch (error) {
    throw new FeedLoadError('feed-bad-zip', label, errorMessage(error));
  }
  documents.sort((a, b) => (a.where < b.where ? -1 : a.where > b.where ? 1 : 0));
  return { documents, problems };
}

/**
 * Plain http only to this machine: an advisory feed fetched in clear text over
 * a network can be edited in transit to hide a fix, so remote feeds need https.
 */
export function assertFetchableUrl(location: string): URL {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new FeedLoadError('feed-url-refused', location, 'not a valid URL');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  const why = url.protocol === 'http:' ? `plain http is only allowed to loopback, use https for ${url.hostname}` : `unsupported scheme ${url.protocol}`;
  throw new FeedLoadError('feed-url-refused', location, why);
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

async function fetchFeed(location: string, options: LoadFeedOptions): Promise<Buffer> {
  const url = assertFetchableUrl(location);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS), redirect: 'follow' });
  } catch (error) {
    throw new FeedLoadError('feed-unreadable', location, errorMessage(error));
  }
  if (!response.ok) throw new FeedLoadError('feed-http-status', location, `HTTP ${response.status} ${response.statusText}`.trim());
  // Refuse what arrived over a redirect the policy would not have allowed as a first hop (https -> remote http).
  if (response.url && response.url !== url.href) assertFetchableUrl(response.url);
  try {
    return Buffer.from(await response.arrayBuffer());
  } catch (error) {
    throw new FeedLoadError('feed-unreadable', location, errorMessage(error));
  }
}

function normalizeDocument(document: FeedDocument, options: LoadFeedOptions): NormalizedFeed {
  let json: unknown;
  try {
    json = JSON.parse(document.text);
  } catch (error) {
    return onlyProblem(document.where, `(document): not JSON: ${errorMessage(error)}`);
  }
  const kind = options.kind ?? detectKind(json);
  if (kind === 'osv') return normalizeOsvDocument(json, document.where, options.ecosystems ? { ecosystems: options.ecosystems } : {});
  if (kind === 'debian-tracker') return normalizeTracker(json, document.where);
  return onlyProblem(document.where, '(document): neither an OSV record nor Debian Security Tracker JSON');
}

export function detectKind(json: unknown): FeedKind | undefined {
  if (looksLikeOsv(json)) return 'osv';
  if (looksLikeTracker(json)) return 'debian-tracker';
  return undefined;
}

function onlyProblem(where: string, problem: string): NormalizedFeed {
  return { records: [], problems: [{ where, problem }], skipped: [] };
}

/** A directory may hold the same advisory twice (a re-downloaded file): keep the first copy of each key. */
function dedupe(records: readonly Advisory[]): Advisory[] {
  const seen = new Set<string>();
  return records.filter((record) => {
    const key = advisoryKey(record);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function countSkips(feed: NormalizedFeed): Record<SkipReason, number> {
  const counts: Record<SkipReason, number> = { 'not-bookworm': 0, withdrawn: 0 };
  for (const skip of feed.skipped) counts[skip.reason] += 1;
  return counts;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
  return String(error);
}
