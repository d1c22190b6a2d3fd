/**
 * Debian Security Tracker JSON (https://security-tracker.debian.org/tracker/data/json)
 * to advisory records.
 *
 * The document is `{ <source package>: { <CVE or TEMP id>: { releases: {
 * <codename>: { status, fixed_version, urgency, nodsa, nodsa_reason,
 * repositories } } } } }`. We build bookworm images, so only the `bookworm`
 * release is read; an issue without one is skipped (the package is not in
 * bookworm), and a malformed entry is reported and skipped without costing
 * the rest of the document.
 */
import { z } from 'zod';
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

export const TRACKER_RELEASE = 'bookworm';

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

/** Parsing the release through its place in the issue makes zod name paths such as `releases.bookworm.status`. */
const bookwormIssueSchema = z.looseObject({ releases: z.looseObject({ bookworm: trackerReleaseSchema }) });

type TrackerRelease = z.infer<typeof trackerReleaseSchema>;

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

export function normalizeTracker(document: unknown, location: string): NormalizedFeed {
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
      const result = normalizeIssue(source, id, issue, where);
      if ('skip' in result) feed.skipped.push(result.skip);
      else if (result.ok) feed.records.push(result.value);
      else feed.problems.push(result.problem);
    }
  }
  return feed;
}

function normalizeIssue(source: string, id: string, issue: unknown, where: string): Parsed<Advisory> | { skip: FeedSkip } {
  const parsedIssue = parseWith(trackerIssueSchema, issue, where);
  if (!parsedIssue.ok) return parsedIssue;
  if (parsedIssue.value.releases[TRACKER_RELEASE] === undefined) {
    return { skip: { where, reason: 'not-bookworm', detail: 'no bookworm release' } };
  }
  const parsedRelease = parseWith(bookwormIssueSchema, issue, where);
  if (!parsedRelease.ok) return parsedRelease;
  const release = parsedRelease.value.releases.bookworm;
  const resolution = resolutionOf(release);
  if ('problem' in resolution) return { ok: false, problem: { where, problem: resolution.problem } };

  return parseAdvisory(
    {
      id,
      aliases: [],
      source,
      ...resolution,
      severity: severityFromLabel(release.urgency),
      origin: 'debian-tracker',
    },
    where,
  );
}

type Resolution = { status: AdvisoryStatus; fixedVersion: string | null; reason?: string } | { problem: string };

function resolutionOf(release: TrackerRelease): Resolution {
  switch (release.status) {
    case 'resolved':
      return resolvedRelease(release.fixed_version?.trim());
    case 'open':
      return { status: 'no-fix', fixedVersion: null, reason: openReason(release) };
    case 'undetermined':
      return { status: 'undetermined', fixedVersion: null };
  }
}

function resolvedRelease(fixedVersion: string | undefined): Resolution {
  if (fixedVersion === undefined || fixedVersion === '') {
    return { problem: `releases.${TRACKER_RELEASE}.fixed_version: is required when status is "resolved"` };
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
