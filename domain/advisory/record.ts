/**
 * The one advisory record every feed becomes (OSV, the Debian Security
 * Tracker, the CLI, the monitor). Everything downstream — impact matching,
 * the workflow's pending queue, VEX — reads only this shape, so each source's
 * quirks stay in its own normalizer.
 *
 * An advisory is about one Debian SOURCE package: a CVE that touches openssl
 * and nodejs is two records, because each is fixed by a different upload.
 * It is also about one Debian release when it says so (`release`): a fix
 * reaches trixie and bookworm as different uploads (`3.5.1-1+deb13u1`,
 * `3.0.17-1~deb12u2`), often on different days, so the feeds give one record
 * per release. A record without a release is about every release: its fixed
 * version is compared with whatever each release's image has (what records
 * kept before releases existed, and CLI advisories without --release, mean).
 */
import { z } from 'zod';
import { RELEASES } from '../debian/releases';
import { InvalidVersionError, parseVersion } from '../debian/version';
import { excerpt } from '../schema/errors';

export const ADVISORY_STATUSES = ['fixed', 'not-affected', 'no-fix', 'undetermined'] as const;
export const SEVERITIES = ['unknown', 'low', 'medium', 'high', 'critical'] as const;
export const ADVISORY_ORIGINS = ['osv', 'debian-tracker', 'cli', 'monitor'] as const;

export type AdvisoryStatus = (typeof ADVISORY_STATUSES)[number];
export type Severity = (typeof SEVERITIES)[number];
export type AdvisoryOrigin = (typeof ADVISORY_ORIGINS)[number];

/**
 * Identifier families a Debian image can be patched against. TEMP- ids are the
 * tracker's placeholders for issues that have no CVE yet (`TEMP-%07d-%06X`).
 */
const ADVISORY_ID_FORMATS: readonly RegExp[] = [
  /^CVE-\d{4}-\d{4,}$/,
  /^DSA-\d{3,}-\d+$/,
  /^DLA-\d{3,}-\d+$/,
  /^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/,
  /^TEMP-\d{7}-[0-9A-F]{6}$/,
];

/** Debian Policy 5.6.1: lowercase letters, digits, `+ - .`; two or more characters; starts alphanumeric. */
const SOURCE_PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

export function isAdvisoryId(text: string): boolean {
  return ADVISORY_ID_FORMATS.some((format) => format.test(text));
}

export function isSourcePackageName(text: string): boolean {
  return SOURCE_PACKAGE_NAME.test(text);
}

/** The reason a string is not a Debian version, in dpkg's words, or undefined when it is one. */
export function debianVersionProblem(text: string): string | undefined {
  // parseVersion trims; a record must not carry the whitespace it would hide.
  if (text !== text.trim()) return `invalid Debian version ${excerpt(text)}: has leading or trailing whitespace`;
  try {
    parseVersion(text);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidVersionError) return error.message;
    throw error;
  }
}

/**
 * Size bounds, each far above anything a real feed carries. The id becomes a
 * PendingAdvisories search attribute value (Temporal refuses one over 2 KiB
 * and terminates the workflow whose task set it), and every record rides
 * each continue-as-new (2 MiB payload limit): nothing here may be unbounded.
 * Aliases: a kernel DSA lists several hundred CVEs.
 */
export const ADVISORY_LIMITS = { id: 64, alias: 128, aliases: 1000, source: 100, version: 128, reason: 4096 } as const;

/** A string of at most `max` characters; longer ones are refused before any other check reads (or quotes) them. */
export const boundedString = (max: number) =>
  z.string().max(max, { error: (issue) => `is ${String((issue.input as string).length)} characters long; at most ${max} are allowed`, abort: true });
const bounded = boundedString;

const advisoryIdSchema = bounded(ADVISORY_LIMITS.id).refine(isAdvisoryId, {
  error: (issue) => `${excerpt(String(issue.input))} is not a CVE-, DSA-, DLA-, GHSA- or TEMP- id`,
});

const aliasSchema = bounded(ADVISORY_LIMITS.alias).regex(/^\S+$/, { error: 'must be a non-empty id without whitespace' });

const sourceNameSchema = bounded(ADVISORY_LIMITS.source).refine(isSourcePackageName, {
  error: (issue) =>
    `invalid Debian source package name ${excerpt(String(issue.input))}: use lowercase letters, digits, "+", "-", "." ` +
    '(two or more, starting with a letter or digit)',
});

const debianVersionSchema = bounded(ADVISORY_LIMITS.version).superRefine((version, ctx) => {
  const problem = debianVersionProblem(version);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const releaseSchema = z.enum(RELEASES, {
  error: (issue) => `${excerpt(String(issue.input))} is not a Debian release tempered builds (${RELEASES.join(', ')})`,
});

/** `2024-06-27` or `2024-06-27T11:15:24Z` / `...+02:00`, any fraction of a second. */
export const isoDateOrDateTimeSchema = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be an ISO 8601 date or date-time',
});

export const advisorySchema = z
  .strictObject({
    id: advisoryIdSchema,
    aliases: z.array(aliasSchema).max(ADVISORY_LIMITS.aliases, {
      error: (issue) => `lists ${String((issue.input as unknown[]).length)} aliases; at most ${ADVISORY_LIMITS.aliases} are allowed`,
    }),
    source: sourceNameSchema,
    fixedVersion: debianVersionSchema.nullable(),
    status: z.enum(ADVISORY_STATUSES),
    severity: z.enum(SEVERITIES),
    reason: bounded(ADVISORY_LIMITS.reason).min(1).optional(),
    published: isoDateOrDateTimeSchema.optional(),
    origin: z.enum(ADVISORY_ORIGINS),
    /** The one Debian release the record is about; absent: every release. */
    release: releaseSchema.optional(),
  })
  .superRefine((advisory, ctx) => {
    const problem = statusVersionMismatch(advisory.status, advisory.fixedVersion);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['fixedVersion'], message: problem });
  });

export type Advisory = z.infer<typeof advisorySchema>;

/** Only a fixed advisory names a version; every other status means "no version fixes it here". */
function statusVersionMismatch(status: AdvisoryStatus, fixedVersion: string | null): string | undefined {
  if (status === 'fixed' && fixedVersion === null) return 'is required when status is "fixed"';
  if (status !== 'fixed' && fixedVersion !== null) return `must be null when status is "${status}"`;
  return undefined;
}

/** Where in a feed something went wrong (`osv.json#3`, `all.zip!DSA-5514-1.json`) and what. */
export interface FeedProblem {
  where: string;
  problem: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: FeedProblem };

/** `releases.bookworm.fixed_version`, `aliases[2]`; `(record)` for the whole value. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(record)';
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** One line per issue, each naming the field path, e.g. `fixedVersion: invalid Debian version ...`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`).join('; ');
}

/** zod says "expected string, received undefined" for a missing field; say what it means. */
const missingFieldsAreRequired: z.core.$ZodErrorMap = (issue) =>
  issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value') ? 'is required' : undefined;

/** Validates with `schema`, turning every zod issue into a problem located at `where`. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, where: string): Parsed<z.output<S>> {
  const result = schema.safeParse(input, { error: missingFieldsAreRequired });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: { where, problem: describeZodError(result.error) } };
}

export function parseAdvisory(input: unknown, where: string): Parsed<Advisory> {
  return parseWith(advisorySchema, input, where);
}

/**
 * What a person types: `tempered advisory --id CVE-... --source openssl --fixed 3.0.13-1~deb12u1`,
 * optionally `--release bookworm` when the version is one release's fix (without it, every release).
 */
export const cliAdvisoryInputSchema = z.strictObject({
  id: z.string(),
  source: z.string(),
  fixedVersion: z.string().optional(),
  severity: z.enum(SEVERITIES).optional(),
  aliases: z.array(z.string()).optional(),
  reason: z.string().optional(),
  release: z.string().optional(),
});

export type CliAdvisoryInput = z.infer<typeof cliAdvisoryInputSchema>;

/** A CLI advisory is fixed when it names a version and open (no-fix) when it does not. */
export function advisoryFromCli(input: unknown, where = 'cli'): Parsed<Advisory> {
  const shape = parseWith(cliAdvisoryInputSchema, input, where);
  if (!shape.ok) return { ok: false, problem: shape.problem };
  const { id, source, fixedVersion, severity, aliases, reason, release } = shape.value;
  const trimmedVersion = fixedVersion?.trim() || undefined;
  const trimmedRelease = release?.trim() || undefined;
  return parseAdvisory(
    {
      id: id.trim(),
      aliases: uniqueAliases(id.trim(), aliases ?? []),
      source: source.trim(),
      fixedVersion: trimmedVersion ?? null,
      status: trimmedVersion === undefined ? 'no-fix' : 'fixed',
      severity: severity ?? 'unknown',
      ...(reason?.trim() ? { reason: reason.trim() } : {}),
      origin: 'cli',
      ...(trimmedRelease === undefined ? {} : { release: trimmedRelease }),
    },
    where,
  );
}

/** Either shape a sender may use: a full record (it has `status` and `origin`) or the CLI shape. */
export function parseAnyAdvisory(input: unknown, where: string): Parsed<Advisory> {
  const recordShaped = typeof input === 'object' && input !== null && 'status' in input && 'origin' in input;
  return recordShaped ? parseAdvisory(input, where) : advisoryFromCli(input, where);
}

/** Trimmed, de-duplicated, sorted aliases without the record's own id. */
export function uniqueAliases(id: string, aliases: readonly string[]): string[] {
  const cleaned = aliases.map((alias) => alias.trim()).filter((alias) => alias.length > 0 && alias !== id);
  return [...new Set(cleaned)].sort();
}

/**
 * Dedupe key. A CVE can affect several source packages, each fixed by its own
 * upload, so the key carries the source as well as the fixing version:
 * `CVE-2024-5535/openssl@3.0.14-1~deb12u1`. A record about one release ends
 * with it, `CVE-2024-5535/openssl@3.5.1-1+deb13u1#trixie` (no Debian version,
 * id or source name contains `#` or `@`). A record without a release keeps
 * the key it always had: recorded workflow histories and the monitor's
 * memory hold those keys and replay on them.
 */
export function advisoryKey(advisory: Pick<Advisory, 'id' | 'source' | 'fixedVersion' | 'release'>): string {
  const key = `${advisory.id}/${advisory.source}@${advisory.fixedVersion ?? 'none'}`;
  return advisory.release === undefined ? key : `${key}#${advisory.release}`;
}

const SEVERITY_BY_LABEL: Readonly<Record<string, Severity>> = {
  // Debian tracker urgencies. "unimportant" means Debian's binaries are not
  // meaningfully exposed: the lowest rank we have, not "unknown".
  unimportant: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  // GitHub / OSV database_specific labels and CVSS qualitative ratings.
  none: 'low',
  moderate: 'medium',
  critical: 'critical',
};

/**
 * Maps a severity or urgency label from any feed to our scale. The tracker
 * marks urgencies it has not reviewed with `*` or `**` ("low**"): the rank still
 * holds. Labels we do not know ("not yet assigned", "end-of-life") are unknown.
 */
export function severityFromLabel(label: string | undefined): Severity {
  if (label === undefined) return 'unknown';
  const normalized = label.trim().replace(/\*+$/, '').trim().toLowerCase();
  return SEVERITY_BY_LABEL[normalized] ?? 'unknown';
}

/**
 * What a normalizer hands back: the records it could read, one problem per
 * entry it could not (those are skipped, the rest still count), and the
 * entries it skipped on purpose.
 */
export interface NormalizedFeed {
  records: Advisory[];
  problems: FeedProblem[];
  skipped: FeedSkip[];
}

/** `other-release`: about a Debian release tempered does not build (`Debian:11`, bullseye, PyPI). */
export type SkipReason = 'other-release' | 'withdrawn';

export interface FeedSkip {
  where: string;
  reason: SkipReason;
  /** e.g. `ecosystem "Debian:11"` */
  detail?: string;
}

export function mergeFeeds(parts: readonly NormalizedFeed[]): NormalizedFeed {
  return {
    records: parts.flatMap((part) => part.records),
    problems: parts.flatMap((part) => part.problems),
    skipped: parts.flatMap((part) => part.skipped),
  };
}
