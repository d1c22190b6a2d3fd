/**
 * `tempered history export IMAGE [--out DIR]`: every run's event history as
 * JSON files (`DIR/<workflow>/<NN>-<runId>.json`), readable by
 * `tempered history replay`, `Worker.runReplayHistories` and
 * `temporal workflow show`-style tooling.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { workflowIdFor } from '../../../domain/imageId';
import { IMAGE_HELP, imageArgument } from '../../arguments';
import { CliError, endProgress, ExitCode, printJson, printTable, progressLine } from '../../output';
import { withClient } from '../../runtime';

export function registerHistoryExport(history: Command): void {
  history
    .command('export')
    .description("write every run's event history of an image as JSON files (for replay and bug reports)")
    .argument('<image>', IMAGE_HELP)
    .option('--out <dir>', 'directory to write into (a subdirectory per workflow)', '.')
    .option('--json', 'print JSON for scripts')
    .action(async (imageText: string, opts: { out: string; json?: boolean }) => {
      const workflowId = workflowIdFor(imageArgument(imageText));
      const { exportHistories } = require('../../../client/historyExport') as typeof import('../../../client/historyExport');
      await withClient(async (client) => {
        const runs = await exportHistories(client, workflowId, path.resolve(opts.out), (done, total, run) => progressLine(`exporting ${workflowId}: run ${done + 1}/${total} (${run.runId})`)).finally(endProgress);
        if (runs.length === 0) throw new CliError(`no runs of ${workflowId} are listed: is it an image of this tempered? (tempered status)`, ExitCode.failed);
        if (opts.json) return printJson({ workflowId, runs });
        printTable(['RUN', 'STATUS', 'STARTED', 'EVENTS', 'FILE'], runs.map((r) => [r.runId, r.status, r.startTime, r.events, path.relative(process.cwd(), r.file) || r.file]));
        console.log(`replay them against this checkout's workflow code: tempered history replay ${path.relative(process.cwd(), path.dirname(runs[0]!.file)) || '.'}`);
      });
    });
}
