/**
 * `tempered history replay PATH...`: replays exported histories (files or
 * directories) against this checkout's workflow code, as a worker would after
 * a deploy. Exit 1 names each history that no longer replays: running
 * workflows with such histories would get stuck on this code, so the change
 * needs a `patched()` guard. Needs no server: it only reads files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CliError, endProgress, ExitCode, printJson, printTable, progressLine } from '../../output';

export function registerHistoryReplay(history: Command): void {
  history
    .command('replay')
    .description("replay exported histories against this checkout's workflow code; exit 1 on nondeterminism")
    .argument('<paths...>', 'history JSON files, or directories of them (as history export writes)')
    .option('--json', 'print JSON for scripts')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const missing = paths.filter((p) => !fs.existsSync(p));
      if (missing.length) throw new CliError(`not found: ${missing.join(', ')}`, ExitCode.usage);
      const { DefaultLogger, Runtime } = require('@temporalio/worker') as typeof import('@temporalio/worker');
      const { historyFiles, replayHistoryFiles } = require('../../../workers/replay') as typeof import('../../../workers/replay');
      const files = historyFiles(paths);
      if (files.length === 0) throw new CliError(`no .json histories under ${paths.join(', ')}`, ExitCode.usage);
      // The replay worker logs every nondeterminism at length; the table below says it in one line per history.
      Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
      progressLine(`bundling the workflow code and replaying ${files.length} histories`);
      const outcomes = await replayHistoryFiles(files).finally(endProgress);
      const failed = outcomes.filter((o) => !o.ok);
      if (opts.json) printJson({ replayed: outcomes.length, failed: failed.length, outcomes });
      else printTable(['HISTORY', 'RESULT'], outcomes.map((o) => [path.relative(process.cwd(), o.file) || o.file, o.ok ? 'ok' : replayProblem(o.error)]));
      if (failed.length) throw new CliError(`${failed.length} of ${outcomes.length} histories do not replay on this code: guard the change with patched() (docs/ONCALL.md)`, ExitCode.failed);
    });
}

/** The core's own words ("[TMPRL1100] Nondeterminism error: No command scheduled for event ...") without the wrapping. */
export function replayProblem(text = ''): string {
  const core = /\[TMPRL\d+\][^"]*/.exec(text)?.[0];
  const line = core ?? text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
