/**
 * Loads every configured advisory feed for one poll. Feeds are independent:
 * one that cannot be read is a problem of this poll, and the advisories of
 * the others are still delivered. Whether the problem is worth a retry
 * (a mirror's 503) or is configuration (a missing local file, plain http to
 * a remote host) is decided here, once.
 */
import { z } from 'zod';
import type { Advisory } from '../../domain/advisory/record';
import { assertFetchableUrl, FeedLoadError, type LoadedFeed, loadFeed } from '../feeds/load';
import { issueOf } from './plan';

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Where a feed may live: an absolute path (the worker's working directory is
 * nobody's business), or an https URL (plain http only to loopback). Feed
 * locations travel in workflow inputs and histories, so a URL carrying
 * credentials is refused.
 */
export const feedLocationSchema = z.string().superRefine((location, ctx) => {
  const problem = feedLocationProblem(location);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export function feedLocationProblem(location: string): string | undefined {
  if (location.trim() !== location || location === '') return `"${location}" must be a non-empty path or URL without surrounding spaces`;
  if (!URL_LIKE.test(location)) return location.startsWith('/') ? undefined : `"${location}" must be an absolute path or an https URL`;
  try {
    const url = assertFetchableUrl(location);
    if (url.username !== '' || url.password !== '') return 'must not contain credentials: feed locations are recorded in workflow history';
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export interface MonitorProblem {
  /** A feed location, `feed.json#3`, or a workflow id. */
  where: string;
  problem: string;
  /** True when trying again soon may succeed (network, server errors). */
  retryable: boolean;
}

export interface LoadedFeeds {
  /** One record per (advisory id, source package, release): the first feed listed wins. */
  records: Advisory[];
  loaded: number;
  skipped: number;
  problems: MonitorProblem[];
}

export type FeedLoader = (location: string) => Promise<LoadedFeed>;

export async function loadFeeds(locations: readonly string[], load: FeedLoader = loadFeed, onFeed?: (index: number) => void): Promise<LoadedFeeds> {
  const result: LoadedFeeds = { records: [], loaded: 0, skipped: 0, problems: [] };
  const issues = new Set<string>();
  for (const [index, location] of locations.entries()) {
    onFeed?.(index);
    let feed: LoadedFeed;
    try {
      feed = await load(location);
    } catch (error) {
      if (!(error instanceof FeedLoadError)) throw error;
      result.problems.push({ where: location, problem: error.message, retryable: isTransient(error) });
      continue;
    }
    result.loaded += 1;
    result.skipped += feed.skipped['other-release'] + feed.skipped.withdrawn;
    for (const problem of feed.problems) result.problems.push({ ...problem, retryable: false });
    // Feeds overlap (OSV's Debian records are derived from the tracker). When two disagree
    // about one issue in one release, configuration order decides: list the feed you trust most first.
    // Each release's record is its own issue: trixie's fix never hides bookworm's open record.
    for (const record of feed.records) {
      const issue = issueOf(record);
      if (issues.has(issue)) continue;
      issues.add(issue);
      result.records.push(record);
    }
  }
  return result;
}

/**
 * A remote feed that did not answer, answered 5xx/408/429, or sent a
 * truncated zip may work in a minute. A local file that is missing or
 * corrupt, a refused URL, or a 4xx will not: that is configuration.
 */
export function isTransient(error: FeedLoadError): boolean {
  const remote = URL_LIKE.test(error.location);
  switch (error.code) {
    // The same feed will be too large on the next poll: that needs a person (a bigger budget, or another feed).
    case 'feed-url-refused':
    case 'feed-too-large':
      return false;
    case 'feed-http-status': {
      const status = Number(/HTTP (\d{3})/.exec(error.message)?.[1] ?? 0);
      return status >= 500 || status === 408 || status === 429;
    }
    case 'feed-unreadable':
    case 'feed-bad-zip':
      return remote;
  }
}
