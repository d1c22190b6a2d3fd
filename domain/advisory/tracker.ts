/**
 * Debian Security Tracker JSON (https://security-tracker.debian.org/tracker/data/json)
 * to advisory records.
 *
 * The document is `{ <source package>: { <CVE or TEMP id>: { releases: {
 * <codename>: { status, fixed_version, urgency, nodsa, nodsa_reason,
 * repositories } } } } }`. Each release tempered builds (`trixie`,
 * `bookworm`) becomes its own record with `release` set, because the fix
 * reaches each release as its own upload, often on different days: an issue
 * resolved in trixie and still open in bookworm is a fixed trixie record and
 * an open bookworm one. Other releases (bullseye, forky, sid) are not read;
 * an issue with none of ours is skipped as `other-release` (the package is
 * not in them). A malformed release entry is reported and skipped without
 * costing the issue's other release or the rest of the document.
 */
import { z } from 'zod';
import { RELEASES, type Release } from '../debian/releases';
import {
  ADVISORY_LIMITS,
  type Advisory,
  type AdvisoryStatus,
  type FeedSkip,
  type NormalizedFeed,
  type Parsed,
  boundedString,
  parseAdvisory,
  parseWith,
  severityFromLabel,
} from './record';

export interface TrackerOptions {
  /** The releases to read; default every release tempered builds. */
  releases?: readonly Release[];
}

// Bounded before anything reads them (ADVISORY_LIMITS, the record's own bounds).
const trackerReleaseSchema = z.looseObject({
  status: z.enum(['resolved', 'open', 'undetermined']),
  fixed_version: boundedString(ADVISORY_LIMITS.version).optional(),
  urgency: boundedString(64).optional(),
  nodsa: boundedString(ADVISORY_LIMITS.reason).optional(),
  nodsa_reason: boundedString(ADVISORY_LIMITS.reason).optional(),
  repositories: z.record(boundedString(ADVISORY_LIMITS.source), boundedString(ADVISORY_LIMITS.version)).optional(),
});

const trackerIssueSchema = z.looseObject({ releases: z.record(z.string(), z.unknown()) });

type TrackerRelease = z.infer<typeof trackerReleaseSchema>;

/** Parsing a release through its place in the issue makes zod name paths such as `releases.trixie.status`. */
const releaseIssueSchema = (release: Release) => z.looseObject({ releases: z.looseObject({ [release]: trackerReleaseSchema }) });
const releaseIssueSchemas = Object.fromEntries(RELEASES.map((release) => [release, releaseIssueSchema(release)])) as Record<Release, ReturnType<typeof releaseIssueSchema>>;

/** The tracker's "fixed in version 0": the vulnerable code never shipped in this release. */
const NEVER_AFFECTED_VERSION = '0';

/** True when every value is an object of issues that carry `releases`, as the tracker's JSON does. */
export function looksLikeTracker(document: unknown): boolean {
  if (!isPlainObject(document) || Array.isArray(document)) return false;
  const firstSource = Object.values(document)[0];
  if (!isPlainObject(firstSource)) return false;
  const firstIssue = Object.values(firstSource)[0];
  return isPlainObject(firstIssue) && isPlainObject(firstIssue.releases);
}

export function normalizeTracker(document: unknown, location: string, options: TrackerOptions = {}): NormalizedFeed {
  const releases = options.releases ?? RELEASES;
  const feed: NormalizedFeed = { records: [], problems: [], skipped: [] };
  if (!isPlainObject(document)) {
    feed.problems.push({ where: location, problem: '(record): expected an object of source packages' });
    return feed;
  }
  for (const [source, issues] of Object.entries(document)) {
    if (!isPlainObject(issues)) {
      feed.problems.push({ where: `${location}#${source}`, problem: `${source}: expected an object of issues` });
      continue;
    }
    for (const [id, issue] of Object.entries(issues)) {
      const where = `${location}#${source}/${id}`;
      for (const result of normalizeIssue(source, id, issue, where, releases)) {
        if ('skip' in result) feed.skipped.push(result.skip);
        else if (result.ok) feed.records.push(result.value);
        else feed.problems.push(result.problem);
      }
    }
  }
  return feed;
}

type IssueResult = Parsed<Advisory> | { skip: FeedSkip };

/** One result per release of ours the issue names, in RELEASES order (newest first). */
function normalizeIssue(source: string, id: string, issue: unknown, where: string, releases: readonly Release[]): IssueResult[] {
  const parsedIssue = parseWith(trackerIssueSchema, issue, where);
  if (!parsedIssue.ok) return [parsedIssue];
  const named = releases.filter((release) => parsedIssue.value.releases[release] !== undefined);
  if (named.length === 0) return [{ skip: { where, reason: 'other-release', detail: `no ${releases.join(' or ')} release` } }];
  return named.map((release) => recordForRelease(source, id, issue, release, where));
}

function recordForRelease(source: string, id: string, issue: unknown, release: Release, where: string): Parsed<Advisory> {
  const parsedRelease = parseWith(releaseIssueSchemas[release], issue, where);
  if (!parsedRelease.ok) return parsedRelease;
  const entry = parsedRelease.value.releases[release] as TrackerRelease;
  const resolution = resolutionOf(entry, release);
  if ('problem' in resolution) return { ok: false, problem: { where, problem: resolution.problem } };

  return parseAdvisory(
    {
      id,
      aliases: [],
      source,
      ...resolution,
      severity: severityFromLabel(entry.urgency),
      origin: 'debian-tracker',
      release,
    },
    where,
  );
}

type Resolution = { status: AdvisoryStatus; fixedVersion: string | null; reason?: string } | { problem: string };

function resolutionOf(entry: TrackerRelease, release: Release): Resolution {
  switch (entry.status) {
    case 'resolved':
      return resolvedRelease(entry.fixed_version?.trim(), release);
    case 'open':
      return { status: 'no-fix', fixedVersion: null, reason: openReason(entry) };
    case 'undetermined':
      return { status: 'undetermined', fixedVersion: null };
  }
}

function resolvedRelease(fixedVersion: string | undefined, release: Release): Resolution {
  if (fixedVersion === undefined || fixedVersion === '') {
    return { problem: `releases.${release}.fixed_version: is required when status is "resolved"` };
  }
  if (fixedVersion === NEVER_AFFECTED_VERSION) return { status: 'not-affected', fixedVersion: null };
  return { status: 'fixed', fixedVersion };
}

/**
 * Why an open issue has no fix: `postponed` and `ignored` (nodsa_reason) say
 * the security team decided so, a bare nodsa means "fix in a point release",
 * `end-of-life` that the package lost security support; otherwise nobody has
 * fixed it yet.
 */
function openReason(release: TrackerRelease): string {
  const decision = release.nodsa_reason?.trim();
  const note = release.nodsa?.trim();
  if (decision) return note ? `${decision}: ${note}` : decision;
  if (note !== undefined) return note ? `no-dsa: ${note}` : 'no-dsa';
  if (release.urgency?.trim() === 'end-of-life') return 'end-of-life';
  return 'unfixed';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
