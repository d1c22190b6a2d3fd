/**
 * Errors raised while reading a Debian archive. Each carries a `code` a caller
 * can branch on (the Temporal activity layer maps codes to retry policies) and
 * the URL or file that caused it, so an on-call engineer can fetch it by hand.
 */
import { TemperedError } from '../../domain/errors';

export const ARCHIVE_ERROR_CODES = [
  /** No answer, connection refused, timeout, or a 5xx from the mirror. Usually transient. */
  'ARCHIVE_UNREACHABLE',
  /** InRelease is not signed by a key in the configured keyring, or was altered. */
  'ARCHIVE_BAD_SIGNATURE',
  /** InRelease is past its Valid-Until: a stale mirror or a replayed (frozen) archive. */
  'ARCHIVE_EXPIRED',
  /** A downloaded file does not match the SHA256 or size the signed Release promised. */
  'ARCHIVE_HASH_MISMATCH',
  /** The mirror or the Release file does not have an index or file we need (404, unlisted). */
  'ARCHIVE_MISSING_INDEX',
  /** A validly signed Release describes another suite than the one asked for (substitution). */
  'ARCHIVE_SUITE_MISMATCH',
  /**
   * A validly signed Release older than one already trusted for the suite: an older archive state
   * replayed (Debian's main suites have no Valid-Until), or a mirror that went back in time. Retried:
   * a lagging mirror catches up; a replay never gets published from.
   */
  'ARCHIVE_OLDER_THAN_TRUSTED',
  /** The archive configuration (env var, config file or apt sources) is unusable: `issues` says why. Never retried. */
  'ARCHIVE_CONFIG_INVALID',
] as const;

export type ArchiveErrorCode = (typeof ARCHIVE_ERROR_CODES)[number];

export class ArchiveError extends TemperedError<ArchiveErrorCode> {
  /**
   * For ARCHIVE_CONFIG_INVALID, one line per problem, each naming the field, e.g.
   * `[0].uri: must be an http, https or file URL`; empty for every other code.
   */
  readonly issues: readonly string[];

  /** The archive configuration at `where` (`TEMPERED_ARCHIVE`, a file path, `/etc/apt`) is unusable. */
  constructor(code: 'ARCHIVE_CONFIG_INVALID', where: string, issues: readonly string[]);
  constructor(code: Exclude<ArchiveErrorCode, 'ARCHIVE_CONFIG_INVALID'>, url: string, message: string, options?: { cause?: unknown });
  constructor(
    code: ArchiveErrorCode,
    /** The URL (or file path) the problem is about; for ARCHIVE_CONFIG_INVALID, where the configuration came from. */
    readonly url: string,
    detail: string | readonly string[],
    options?: { cause?: unknown },
  ) {
    super(code, typeof detail === 'string' ? `${code}: ${detail} (${url})` : `${code}: ${url}: ${detail.join('; ')}`, options);
    this.issues = typeof detail === 'string' ? [] : detail;
  }
}

export function isArchiveError(error: unknown, code?: ArchiveErrorCode): error is ArchiveError {
  return error instanceof ArchiveError && (code === undefined || error.code === code);
}
