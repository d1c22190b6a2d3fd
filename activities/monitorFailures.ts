/**
 * How a poll's failures reach Temporal. An archive that cannot be trusted
 * (bad signature, expired, another suite) or is misconfigured fails the poll
 * at once and signals nothing: retrying will not change a signature. An
 * archive that cannot be reached, or whose index does not match its Release
 * yet (a mirror mid-sync), is thrown as is and retried with backoff.
 */
import { ApplicationFailure } from '@temporalio/common';
import { type ArchiveErrorCode, isArchiveError } from '../lib/archive/errors';
import { MonitorErrorType, type PollReport } from './types';

const UNTRUSTED: ReadonlySet<ArchiveErrorCode> = new Set(['ARCHIVE_BAD_SIGNATURE', 'ARCHIVE_EXPIRED', 'ARCHIVE_SUITE_MISMATCH']);

export function archiveFailure(error: unknown): unknown {
  if (isArchiveError(error, 'ARCHIVE_CONFIG_INVALID')) {
    return ApplicationFailure.create({ message: error.message, type: MonitorErrorType.misconfigured, nonRetryable: true, cause: error });
  }
  if (isArchiveError(error) && UNTRUSTED.has(error.code)) {
    return ApplicationFailure.create({
      message: `refusing the archive, nothing was signalled: ${error.message}`,
      type: MonitorErrorType.archiveUntrusted,
      nonRetryable: true,
      cause: error,
    });
  }
  return error;
}

export function misconfigured(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: MonitorErrorType.misconfigured, nonRetryable: true });
}

/**
 * Thrown after everything readable was delivered and remembered, when a feed
 * or an image could not be read and may be readable soon: Temporal retries
 * with backoff (the memory makes the retry send only what is still missing).
 * The report rides along so the workflow can still return it after the last
 * attempt.
 */
export function incomplete(report: PollReport, retryable: readonly string[]): ApplicationFailure {
  return ApplicationFailure.create({
    message: `poll incomplete: ${retryable.length} source(s) could not be read, everything else was delivered; first: ${retryable[0] ?? 'unknown'}`,
    type: MonitorErrorType.incomplete,
    nonRetryable: false,
    details: [report],
  });
}
