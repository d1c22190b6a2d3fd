/**
 * OSV (https://ossf.github.io/osv-schema/) to advisory records.
 *
 * Debian's OSV records name SOURCE packages under `affected[].package`, one
 * entry per release (`Debian:11`, `Debian:12`, `Debian:13`), with ECOSYSTEM
 * ranges of `introduced`/`fixed` events. Each release tempered builds
 * becomes its own record with `release` set (`Debian:13` -> trixie), because
 * each release ships its own fixed version (`3.5.1-1+deb13u1`,
 * `3.0.17-1~deb12u2`). Every other entry is skipped and counted as
 * `other-release`, not reported as a problem: older releases (`Debian:11`),
 * other ecosystems (PyPI), and plain `Debian` without a release number.
 * The last is OSV's "any Debian release"; Debian's own data uses it for
 * unstable, whose fixed version (`3.5.2-1`) no stable image will ever be
 * offered, so reading it as "every release" would keep images waiting for it.
 */
import { z } from 'zod';
import { RELEASES, type Release, releaseOfVersion } from '../debian/releases';
import { compareVersions } from '../debian/version';
import {
  ADVISORY_LIMITS,
  type Advisory,
  type FeedSkip,
  type NormalizedFeed,
  type Parsed,
  type Severity,
  boundedString,
  debianVersionProblem,
  isoDateOrDateTimeSchema,
  mergeFeeds,
  parseAdvisory,
  parseWith,
  severityFromLabel,
  uniqueAliases,
} from './record';

export interface OsvOptions {
  /** The releases to read (their `Debian:<version>` entries); default every release tempered builds. */
  releases?: readonly Release[];
}

const osvSeveritySchema = z.looseObject({ type: z.string(), score: z.string() });

// Every field is bounded here, before anything reads it: a 60,000-character version would be
// parsed, compared and quoted in messages otherwise (ADVISORY_LIMITS are the record's own bounds).
const version = boundedString(ADVISORY_LIMITS.version);
const osvEventSchema = z.looseObject({
  introduced: version.optional(),
  fixed: version.optional(),
  last_affected: version.optional(),
  limit: version.optional(),
});

const osvRangeSchema = z.looseObject({ type: z.string(), events: z.array(osvEventSchema).min(1) });

const labelBagSchema = z.looseObject({ urgency: z.string().optional(), severity: z.string().optional() });

const osvAffectedSchema = z.looseObject({
  package: z.looseObject({ ecosystem: boundedString(64), name: boundedString(ADVISORY_LIMITS.source) }).optional(),
  ranges: z.array(osvRangeSchema).optional(),
  severity: z.array(osvSeveritySchema).optional(),
  ecosystem_specific: labelBagSchema.optional(),
  database_specific: labelBagSchema.optional(),
});

const osvRecordSchema = z.looseObject({
  id: boundedString(ADVISORY_LIMITS.id).min(1),
  published: boundedString(64).optional(),
  withdrawn: boundedString(64).optional(),
  aliases: z.array(boundedString(ADVISORY_LIMITS.alias)).max(ADVISORY_LIMITS.aliases, { error: `at most ${ADVISORY_LIMITS.aliases} aliases are allowed` }).optional(),
  upstream: z.array(boundedString(ADVISORY_LIMITS.alias)).max(ADVISORY_LIMITS.aliases, { error: `at most ${ADVISORY_LIMITS.aliases} upstream ids are allowed` }).optional(),
  severity: z.array(osvSeveritySchema).optional(),
  database_specific: labelBagSchema.optional(),
  affected: z.array(osvAffectedSchema).optional(),
});

type OsvRecord = z.infer<typeof osvRecordSchema>;
type OsvAffected = z.infer<typeof osvAffectedSchema>;
type OsvRange = z.infer<typeof osvRangeSchema>;

/** An `affected[]` entry we read, with its index for error paths. */
interface AcceptedEntry {
  index: number;
  entry: OsvAffected;
  release: Release;
  source: string;
}

interface SourceGroup {
  source: string;
  release: Release;
  entries: AcceptedEntry[];
}

/** True for an OSV record or an array of them (the shape of an all.zip entry or an API dump). */
export function looksLikeOsv(document: unknown): boolean {
  if (Array.isArray(document) && document.length === 0) return true; // an empty dump holds no advisories of either kind
  const first = Array.isArray(document) ? document[0] : document;
  if (typeof first !== 'object' || first === null) return false;
  const record = first as Record<string, unknown>;
  return typeof record.id === 'string' && (Array.isArray(record.affected) || typeof record.modified === 'string' || 'schema_version' in record);
}

/** A whole OSV document: one record, or an array of them (located by id, or by index when the id is unreadable). */
export function normalizeOsvDocument(document: unknown, location: string, options: OsvOptions = {}): NormalizedFeed {
  if (!Array.isArray(document)) return normalizeOsvRecord(document, location, options);
  return mergeFeeds(document.map((record, index) => normalizeAt(record, `${location}#${idOf(record) ?? index}`, options)));
}

/** One OSV record: one advisory per accepted source package, or the problems that stopped it. */
export function normalizeOsvRecord(input: unknown, location: string, options: OsvOptions = {}): NormalizedFeed {
  const id = idOf(input);
  return normalizeAt(input, id === undefined ? location : `${location}#${id}`, options);
}

function normalizeAt(input: unknown, where: string, options: OsvOptions): NormalizedFeed {
  const parsed = parseWith(osvRecordSchema, input, where);
  if (!parsed.ok) return { records: [], problems: [parsed.problem], skipped: [] };
  const record = parsed.value;
  if (record.withdrawn !== undefined) return { records: [], problems: [], skipped: [{ where, reason: 'withdrawn' }] };

  const { accepted, skipped } = partitionAffected(record, where, options.releases ?? RELEASES);
  const feed: NormalizedFeed = { records: [], problems: [], skipped };
  for (const group of groupBySource(accepted)) {
    const result = advisoryForSource(record, group, where);
    if (result.ok) feed.records.push(result.value);
    else feed.problems.push(result.problem);
  }
  return feed;
}

function idOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const id = (input as Record<string, unknown>).id;
  return typeof id === 'string' && id.trim().length > 0 ? id.trim() : undefined;
}

function partitionAffected(record: OsvRecord, where: string, releases: readonly Release[]) {
  const accepted: AcceptedEntry[] = [];
  const skipped: FeedSkip[] = [];
  (record.affected ?? []).forEach((entry, index) => {
    const ecosystem = entry.package?.ecosystem;
    const release = ecosystem === undefined ? undefined : releaseOfEcosystem(ecosystem);
    if (entry.package !== undefined && release !== undefined && releases.includes(release)) {
      accepted.push({ index, entry, release, source: entry.package.name.trim() });
    } else {
      skipped.push({ where: `${where} affected[${index}]`, reason: 'other-release', detail: `ecosystem ${JSON.stringify(ecosystem ?? null)}` });
    }
  });
  return { accepted, skipped };
}

/** `Debian:13` -> trixie; anything else (`Debian:11`, plain `Debian`, `PyPI`) is no release tempered builds. */
function releaseOfEcosystem(ecosystem: string): Release | undefined {
  const version = /^Debian:(\d+)$/.exec(ecosystem)?.[1];
  return version === undefined ? undefined : releaseOfVersion(version);
}

/**
 * Entries of one source package in one release describe one fix; two
 * releases (Debian:12 and Debian:13) stay two records, because each release
 * ships its own fixed version.
 */
function groupBySource(entries: readonly AcceptedEntry[]): SourceGroup[] {
  const groups = new Map<string, SourceGroup>();
  for (const entry of entries) {
    const key = `${entry.release}\u0000${entry.source}`;
    const group = groups.get(key) ?? { source: entry.source, release: entry.release, entries: [] };
    group.entries.push(entry);
    groups.set(key, group);
  }
  return [...groups.values()];
}

type FixState = { kind: 'fixed'; version: string } | { kind: 'open' } | { kind: 'problem'; problem: string };

function advisoryForSource(record: OsvRecord, { source, release, entries }: SourceGroup, where: string): Parsed<Advisory> {
  const fix = fixStateOf(entries);
  if (fix.kind === 'problem') return { ok: false, problem: { where, problem: fix.problem } };
  const { id, renamedFrom } = canonicalId(record.id);
  const candidate: Advisory = {
    id,
    aliases: uniqueAliases(id, [...(record.aliases ?? []), ...(record.upstream ?? []), ...(renamedFrom ? [renamedFrom] : [])]),
    source,
    fixedVersion: fix.kind === 'fixed' ? fix.version : null,
    status: fix.kind === 'fixed' ? 'fixed' : 'no-fix',
    severity: osvSeverity(record, entries),
    ...publishedOf(record),
    origin: 'osv',
    release,
  };
  return parseAdvisory(candidate, where);
}

/**
 * Debian publishes its tracker data in OSV as `DEBIAN-CVE-YYYY-NNNN`; the
 * advisory is the CVE, so the record is keyed by it and keeps the OSV id as an alias.
 */
function canonicalId(id: string): { id: string; renamedFrom?: string } {
  const debianCve = /^DEBIAN-(CVE-\d{4}-\d{4,})$/.exec(id);
  return debianCve?.[1] !== undefined ? { id: debianCve[1], renamedFrom: id } : { id };
}

/** `published` is informational: a timestamp we cannot read must not cost us the advisory. */
function publishedOf(record: OsvRecord): { published?: string } {
  const published = record.published;
  return published !== undefined && isoDateOrDateTimeSchema.safeParse(published).success ? { published } : {};
}

/**
 * The fix across every ECOSYSTEM range of the source's entries. Our record has
 * one fixed version, so when ranges disagree we keep the conservative answer:
 * any open range means no fix yet, else the highest fixed version.
 */
function fixStateOf(entries: readonly AcceptedEntry[]): FixState {
  const fixedVersions: string[] = [];
  let sawRange = false;
  for (const { index, entry } of entries) {
    for (const [rangeIndex, range] of (entry.ranges ?? []).entries()) {
      if (range.type !== 'ECOSYSTEM') continue;
      sawRange = true;
      const path = `affected[${index}].ranges[${rangeIndex}]`;
      const outcome = rangeOutcome(range, path);
      if (outcome.kind !== 'fixed') return outcome;
      fixedVersions.push(outcome.version);
    }
  }
  if (!sawRange) {
    const paths = entries.map(({ index }) => `affected[${index}].ranges`).join(', ');
    return { kind: 'problem', problem: `${paths}: no ECOSYSTEM range, so the fixed version is unknown` };
  }
  return { kind: 'fixed', version: highestVersion(fixedVersions) };
}

type RangeEvent = { kind: 'introduced' | 'fixed' | 'last_affected'; version: string; path: string };

/**
 * Walks the events in version order (OSV does not promise any order): the
 * range is open when its highest event starts or extends the affected span.
 * `limit` only bounds git ranges and is ignored.
 */
function rangeOutcome(range: OsvRange, path: string): FixState {
  const events = eventsOf(range, path);
  if (events.length === 0) return { kind: 'problem', problem: `${path}.events: no introduced, fixed or last_affected event` };
  for (const event of events) {
    // "0" in `introduced` is OSV's "since the beginning", not a version to check.
    if (event.kind === 'introduced' && event.version === '0') continue;
    const problem = debianVersionProblem(event.version);
    if (problem !== undefined) return { kind: 'problem', problem: `${event.path}: ${problem}` };
  }
  const ordered = [...events].sort(compareEvents);
  const last = ordered[ordered.length - 1];
  if (last === undefined || last.kind !== 'fixed') return { kind: 'open' };
  return { kind: 'fixed', version: last.version };
}

function eventsOf(range: OsvRange, path: string): RangeEvent[] {
  const events: RangeEvent[] = [];
  range.events.forEach((event, index) => {
    for (const kind of ['introduced', 'fixed', 'last_affected'] as const) {
      const version = event[kind];
      if (version !== undefined) events.push({ kind, version: version.trim(), path: `${path}.events[${index}].${kind}` });
    }
  });
  return events;
}

function compareEvents(a: RangeEvent, b: RangeEvent): number {
  if (a.kind === 'introduced' && a.version === '0') return -1;
  if (b.kind === 'introduced' && b.version === '0') return 1;
  return compareVersions(a.version, b.version);
}

function highestVersion(versions: readonly string[]): string {
  return versions.reduce((best, version) => (compareVersions(version, best) > 0 ? version : best));
}

/**
 * Debian's own urgency on the entry beats a database label, which beats a
 * CVSS vector: the first source that gives a known rank wins.
 */
function osvSeverity(record: OsvRecord, entries: readonly AcceptedEntry[]): Severity {
  const labels = entries.flatMap(({ entry }) => [
    entry.ecosystem_specific?.urgency,
    entry.ecosystem_specific?.severity,
    entry.database_specific?.urgency,
    entry.database_specific?.severity,
  ]);
  labels.push(record.database_specific?.urgency, record.database_specific?.severity);
  for (const label of labels) {
    const severity = severityFromLabel(label);
    if (severity !== 'unknown') return severity;
  }
  const vectors = [...entries.flatMap(({ entry }) => entry.severity ?? []), ...(record.severity ?? [])];
  for (const { type, score } of vectors) {
    const severity = type === 'CVSS_V3' ? severityFromCvssV3(score) : undefined;
    if (severity !== undefined) return severity;
  }
  return 'unknown';
}

const CVSS3_WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** Privileges Required weighs more when the scope changes. */
const CVSS3_PRIVILEGES = { U: { N: 0.85, L: 0.62, H: 0.27 }, C: { N: 0.85, L: 0.68, H: 0.5 } } as const;

/**
 * Qualitative rating of a CVSS v3.x base vector (FIRST CVSS v3.1 spec §7),
 * or undefined when the vector is not one. OSV carries vectors, not scores.
 */
export function severityFromCvssV3(vector: string): Severity | undefined {
  const score = cvssV3BaseScore(vector);
  if (score === undefined) return undefined;
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

/** The CVSS v3.x base score of a vector such as `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`. */
export function cvssV3BaseScore(vector: string): number | undefined {
  const metrics = new Map(vector.trim().split('/').map((part) => [part.split(':')[0], part.split(':')[1]]));
  const scope = metrics.get('S');
  if (!/^3\.[01]$/.test(metrics.get('CVSS') ?? '') || (scope !== 'U' && scope !== 'C')) return undefined;
  const weights = [
    weight(CVSS3_WEIGHTS.AV, metrics.get('AV')),
    weight(CVSS3_WEIGHTS.AC, metrics.get('AC')),
    weight(CVSS3_PRIVILEGES[scope], metrics.get('PR')),
    weight(CVSS3_WEIGHTS.UI, metrics.get('UI')),
    weight(CVSS3_WEIGHTS.CIA, metrics.get('C')),
    weight(CVSS3_WEIGHTS.CIA, metrics.get('I')),
    weight(CVSS3_WEIGHTS.CIA, metrics.get('A')),
  ];
  if (!weights.every((w): w is number => w !== undefined)) return undefined;
  const [av, ac, pr, ui, c, i, a] = weights as [number, number, number, number, number, number, number];
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  if (impact <= 0) return 0;
  const exploitability = 8.22 * av * ac * pr * ui;
  const total = scope === 'U' ? impact + exploitability : 1.08 * (impact + exploitability);
  return roundUpCvss(Math.min(total, 10));
}

function weight(table: Readonly<Record<string, number>>, value: string | undefined): number | undefined {
  return value !== undefined && Object.hasOwn(table, value) ? table[value] : undefined;
}

/** CVSS v3.1 Roundup: the smallest one-decimal number >= x, immune to float noise. */
function roundUpCvss(value: number): number {
  const scaled = Math.round(value * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}
