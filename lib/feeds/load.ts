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
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
import type { Release } from '../../domain/debian/releases';
import { TemperedError } from '../../domain/errors';

export type FeedKind = 'osv' | 'debian-tracker';

export interface LoadFeedOptions {
  /** Skip format detection: every document is read as this kind. */
  kind?: FeedKind;
  /** The releases to read (OSV `Debian:<version>` entries, tracker `releases.<codename>`); default every release tempered builds. */
  releases?: readonly Release[];
  /** Whole-request budget for URL feeds; the tracker's JSON is tens of MB. */
  timeoutMs?: number;
  /** Bytes the whole feed may decompress to, every document together (MAX_FEED_BYTES). */
  maxBytes?: number;
}

export interface LoadedFeed {
  records: Advisory[];
  problems: FeedProblem[];
  /** Entries left out on purpose (other releases, withdrawn records), counted rather than listed: all.zip holds thousands. */
  skipped: Record<SkipReason, number>;
}

export type FeedLoadErrorCode = 'feed-unreadable' | 'feed-url-refused' | 'feed-http-status' | 'feed-bad-zip' | 'feed-too-large';

export class FeedLoadError extends TemperedError<FeedLoadErrorCode> {
  constructor(
    code: FeedLoadErrorCode,
    readonly location: string,
    problem: string,
  ) {
    super(code, `cannot load advisory feed ${location}: ${problem}`);
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
/**
 * What one feed may decompress to, all documents together: the Debian
 * tracker's JSON is about 60 MB and OSV's Debian all.zip about 150 MB
 * unpacked. A few MB of zip can expand to gigabytes; the feed is refused
 * at this point instead of taking the worker's memory.
 */
export const MAX_FEED_BYTES = 256 * 1024 * 1024;

/** Counts the bytes a feed has produced so far, across all its documents. */
class FeedBudget {
  private used = 0;
  constructor(
    readonly location: string,
    readonly limit: number,
  ) {}

  take(bytes: number, where: string): void {
    this.used += bytes;
    if (this.used > this.limit) throw new FeedLoadError('feed-too-large', this.location, `decompresses past its budget of ${this.limit} bytes (at ${where})`);
  }
}

/** A stream's bytes, each chunk counted against the budget as it arrives. */
async function readCounted(stream: AsyncIterable<Uint8Array>, budget: FeedBudget, where: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    budget.take(chunk.length, where);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const EMPTY_ZIP_MAGIC = Buffer.from('PK\x05\x06', 'latin1');

export async function loadFeed(location: string, options: LoadFeedOptions = {}): Promise<LoadedFeed> {
  const { documents, problems } = await readDocuments(location, options);
  const feeds = documents.map((document) => normalizeDocument(document, options));
  const merged = mergeFeeds([{ records: [], problems, skipped: [] }, ...feeds]);
  return { records: dedupe(merged.records), problems: merged.problems, skipped: countSkips(merged) };
}

async function readDocuments(location: string, options: LoadFeedOptions): Promise<{ documents: FeedDocument[]; problems: FeedProblem[] }> {
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(location);
  const budget = new FeedBudget(isUrl ? location : basename(location), options.maxBytes ?? MAX_FEED_BYTES);
  if (isUrl) return fromBytes(await fetchFeed(location, options, budget), location, budget);
  const kind = await statKind(location);
  if (kind === 'directory') return { documents: await readJsonDirectory(location, budget), problems: [] };
  return fromBytes(await readLocal(location, budget), basename(location), budget);
}

/**
 * Zips are recognized by content, not name: a URL such as `.../download?format=zip` says nothing.
 * The bytes read were counted as they arrived; what a zip inflates to has a budget of its own.
 */
async function fromBytes(bytes: Buffer, where: string, budget: FeedBudget): Promise<{ documents: FeedDocument[]; problems: FeedProblem[] }> {
  if (isZip(bytes)) return readZip(bytes, where, new FeedBudget(budget.location, budget.limit));
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

async function readLocal(path: string, budget: FeedBudget): Promise<Buffer> {
  try {
    return await readCounted(createReadStream(path), budget, basename(path));
  } catch (error) {
    if (error instanceof FeedLoadError) throw error;
    throw new FeedLoadError('feed-unreadable', path, errorMessage(error));
  }
}

/** Every `*.json` directly in the directory, in name order so results do not depend on the file system. */
async function readJsonDirectory(directory: string, budget: FeedBudget): Promise<FeedDocument[]> {
  const names = (await readdir(directory, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => entry.name)
    .sort();
  const label = basename(directory);
  const documents: FeedDocument[] = [];
  for (const name of names) documents.push({ where: `${label}/${name}`, text: (await readLocal(join(directory, name), budget)).toString('utf8') });
  return documents;
}

/** OSV's all.zip: one record per `*.json` entry. Entries are sorted by name for a stable result. */
async function readZip(bytes: Buffer, label: string, budget: FeedBudget): Promise<{ documents: FeedDocument[]; problems: FeedProblem[] }> {
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
      // Counted as it inflates: the size an entry declares is the zip's word, not a fact.
      documents.push({ where, text: (await readCounted(await zip.openReadStreamPromise(entry), budget, where)).toString('utf8') });
    }
  } catch (error) {
    if (error instanceof FeedLoadError) throw error;
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

async function fetchFeed(location: string, options: LoadFeedOptions, budget: FeedBudget): Promise<Buffer> {
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
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > budget.limit) throw new FeedLoadError('feed-too-large', location, `declares ${declared} bytes, past its budget of ${budget.limit} bytes`);
  try {
    return response.body ? await readCounted(response.body as unknown as AsyncIterable<Uint8Array>, budget, location) : Buffer.alloc(0);
  } catch (error) {
    // Stop the transfer: the rest of an oversized body is not read.
    await response.body?.cancel().catch(() => undefined);
    if (error instanceof FeedLoadError) throw error;
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
  const releases = options.releases ? { releases: options.releases } : {};
  if (kind === 'osv') return normalizeOsvDocument(json, document.where, releases);
  if (kind === 'debian-tracker') return normalizeTracker(json, document.where, releases);
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

/** A directory may hold the same advisory twice (a re-downloaded file): keep the first copy of each key (per release: the key ends with it). */
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
  const counts: Record<SkipReason, number> = { 'other-release': 0, withdrawn: 0 };
  for (const skip of feed.skipped) counts[skip.reason] += 1;
  return counts;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
  return String(error);
}
