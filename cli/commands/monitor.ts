/**
 * `tempered monitor run`: poll upstream now through the Schedule (so the run
 * is recorded like every other poll) and print its report.
 * `tempered monitor status`: the Schedule's settings, next runs and the
 * reports of its recent runs.
 */
import type { Command } from 'commander';
import type { PollReport } from '../../activities/types';
import type { MonitorStatus } from '../../client/monitorSchedule';
import { describePollReport } from '../../domain/monitor/pollReport';
import { minutesOption } from '../arguments';
import { CliError, endProgress, ExitCode, printJson, printTable, progressLine } from '../output';
import { withClient } from '../runtime';

export function printPollReport(report: PollReport): void {
  console.log(describePollReport(report));
  printTable(
    ['WHAT', 'COUNT'],
    [
      ['archive suites', report.archive.suites.join(', ')],
      ['archive packages', report.archive.packages],
      ['feeds loaded', `${report.feeds.loaded}/${report.feeds.configured}`],
      ['advisories in feeds', `${report.feeds.advisories} (${report.feeds.skipped} not about bookworm or withdrawn)`],
      ['images checked', `${report.images.checked}/${report.images.running} (${report.images.unpublished} not published yet)`],
      ['(image, advisory) pairs affecting', report.advisories.affecting],
      ['advisories sent', report.advisories.sent],
      ['advisories re-sent: fix arrived', report.advisories.nudged],
      ['advisories retracted', report.advisories.retracted],
      ['advisories already sent', report.advisories.remembered],
      ['package updates sent', report.upstream.sent],
      ['package updates already sent', report.upstream.remembered],
      ['problems', report.problems],
    ],
  );
  if (report.signalled.length) console.log(`signalled: ${report.signalled.join(', ')}`);
  for (const sample of report.problemSamples) console.log(`problem: ${sample}`);
  if (report.problems > report.problemSamples.length) console.log(`... ${report.problems - report.problemSamples.length} more in the worker log`);
}

function printMonitorStatus(status: MonitorStatus): void {
  const every = status.intervalMs ? `every ${formatInterval(status.intervalMs)}` : 'no interval';
  console.log(`Schedule ${status.scheduleId}: ${every}, overlap SKIP, ${status.paused ? `PAUSED${status.note ? ` (${status.note})` : ''}` : 'active'}, task queue ${status.taskQueue}`);
  console.log(`Feeds: ${status.feeds.length ? status.feeds.join(', ') : 'none (package updates only)'}`);
  console.log(`Next runs: ${status.nextRuns.join(', ') || 'none'}; ${status.actionsTaken} run(s) so far, ${status.skippedOverlap} skipped while one was running`);
  if (!status.runs.length) return;
  printTable(
    ['RUN', 'SCHEDULED', 'STATUS', 'RESULT'],
    status.runs.map((run) => [run.workflowId, run.scheduledAt, run.status, run.report ? describePollReport(run.report) : run.failure]),
  );
}

function formatInterval(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

export function registerMonitor(program: Command): void {
  const monitor = program.command('monitor').description('the upstream monitor: the Schedule that polls the archive and advisory feeds');
  monitor
    .command('run')
    .description('poll now (after the running poll, if any) and print the report')
    .option('--timeout <minutes>', 'how long to wait for the poll', '30')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { timeout: string; json?: boolean }) => {
      const minutes = minutesOption(opts.timeout);
      const { monitorRunReport, triggerMonitor } = require('../../client/monitorSchedule') as typeof import('../../client/monitorSchedule');
      await withClient(async (client) => {
        const run = await triggerMonitor(client, { timeoutMs: minutes * 60_000, onQueued: (behind) => progressLine(`a poll is running (${behind}); ours starts when it ends`) });
        progressLine(`polling: ${run.workflowId}`);
        const report = await monitorRunReport(client, run);
        endProgress();
        if (opts.json) printJson({ workflowId: run.workflowId, runId: run.runId, report });
        else printPollReport(report);
        if (report.incomplete) throw new CliError('the poll was incomplete: a feed or an image could not be read (see the problems above); the next poll retries', ExitCode.failed);
      });
    });
  monitor
    .command('status')
    .description('the Schedule: interval, feeds, next runs, and the reports of the recent runs')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { json?: boolean }) => {
      const { describeMonitor } = require('../../client/monitorSchedule') as typeof import('../../client/monitorSchedule');
      await withClient(async (client) => {
        const status = await describeMonitor(client);
        if (opts.json) printJson(status);
        else printMonitorStatus(status);
      });
    });
}
