/**
 * monitorWorkflow: one poll of upstream (the Debian archive and the advisory
 * feeds), started by the Temporal Schedule `tempered-monitor`
 * (client/monitorSchedule.ts) every interval, overlap SKIP. The poll itself
 * is one activity (activities/monitor.ts) that signals the affected image
 * workflows; this workflow gives it a retry policy and a record: each run's
 * result is the poll's report, visible in the UI and in `tempered monitor`.
 *
 * A short-lived workflow per poll rather than one long-lived loop: the
 * Schedule owns the timing (pause, trigger, backfill, interval changes
 * without a deploy), and a failed poll fails one run, visibly, while the next
 * tick tries again.
 */
import * as wf from '@temporalio/workflow';
import { describePollReport } from '../domain/monitor/pollReport';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { MonitorActivities, MonitorErrorName, PollReport } from '../activities/types';

export interface MonitorInput {
  /** Advisory feed locations (absolute paths or https URLs), as configured when the Schedule was created. */
  feeds: string[];
}

/** Workflows import activity types only; the names are checked against MonitorErrorName at compile time. */
const UNTRUSTED: MonitorErrorName = 'ArchiveUntrusted';
const MISCONFIGURED: MonitorErrorName = 'MonitorMisconfigured';
const INCOMPLETE: MonitorErrorName = 'UpstreamIncomplete';

/**
 * Archive, feed and registry hiccups retry with backoff (2.5 minutes of
 * waiting over 5 attempts, well inside the hourly interval); an untrusted
 * archive or bad configuration fails at once. The heartbeat timeout catches a
 * dead worker long before startToClose: the activity heartbeats every 10 s
 * while it loads indexes and feeds. No task queue: the poll runs on the
 * workflow's own (orchestration) queue, it waits on I/O and builds nothing.
 */
const { pollUpstream } = wf.proxyActivities<MonitorActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '10s',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [UNTRUSTED, MISCONFIGURED],
  },
});

export async function monitorWorkflow(input: MonitorInput): Promise<PollReport> {
  wf.setCurrentDetails(`polling the archive and ${input.feeds.length} advisory feed(s)`);
  let report: PollReport;
  try {
    report = await pollUpstream.executeWithOptions({ summary: `poll the archive and ${input.feeds.length} feed(s)` }, [{ feeds: input.feeds }]);
  } catch (error) {
    const partial = incompleteReport(error);
    if (!partial) throw error;
    // Out of attempts with a feed or an image still unreadable: what could be delivered was;
    // the run ends with the report, and the next scheduled poll tries the rest again.
    wf.log.warn('upstream poll incomplete after retries', { problems: partial.problems, samples: partial.problemSamples });
    report = partial;
  }
  wf.setCurrentDetails(describePollReport(report));
  return report;
}

function incompleteReport(error: unknown): PollReport | undefined {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure)) return undefined;
  if (error.cause.type !== INCOMPLETE) return undefined;
  const [report] = error.cause.details ?? [];
  return isReport(report) ? { ...report, incomplete: true } : undefined;
}

function isReport(value: unknown): value is PollReport {
  return typeof value === 'object' && value !== null && 'advisories' in value && 'upstream' in value && 'signalled' in value;
}
