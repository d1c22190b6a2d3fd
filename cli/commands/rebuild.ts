/**
 * `tempered rebuild IMAGE [--note N] [--wait]`: asks the image's workflow for
 * a cycle that builds even when nothing changed upstream (a new CA bundle, a
 * suspect image). Answers with the cycle number that will do it; `--wait`
 * follows that cycle to its end.
 */
import type { Command } from 'commander';
import { displayName, workflowIdFor } from '../../domain/imageId';
import { IMAGE_HELP, imageArgument, minutesOption, requester } from '../arguments';
import { printJson, printTable } from '../output';
import { withClient } from '../runtime';

interface RebuildOptions {
  note?: string;
  by?: string;
  wait?: boolean;
  timeout: string;
  json?: boolean;
}

export function registerRebuild(program: Command): void {
  program
    .command('rebuild')
    .description('run a patch cycle that builds the image even if nothing changed; prints the cycle number')
    .argument('<image>', IMAGE_HELP)
    .option('--note <text>', 'why, recorded as the cycle reason')
    .option('--by <name>', 'who asks (default: your login name)')
    .option('--wait', 'follow the cycle until it ends; exit 1 if it fails')
    .option('--timeout <minutes>', 'with --wait: how long to wait', '60')
    .option('--json', 'print JSON for scripts')
    .action(async (imageText: string, opts: RebuildOptions) => {
      const image = imageArgument(imageText);
      const by = requester(opts.by);
      const timeout = minutesOption(opts.timeout);
      const label = displayName(image);
      const { requestRebuild } = require('../../client/imageRequests') as typeof import('../../client/imageRequests');
      const { assertCycleEnded, cycleResultJson, printCycleResult, waitForCycle } = require('../cycleWait') as typeof import('../cycleWait');
      await withClient(async (client) => {
        const answer = await requestRebuild(client, image, { by, ...(opts.note ? { note: opts.note } : {}) });
        const request = { image: label, workflowId: workflowIdFor(image), cycle: answer.cycle, queuedBehind: answer.queuedBehind, by };
        if (!opts.wait) {
          if (opts.json) return printJson(request);
          printTable(['IMAGE', 'WORKFLOW', 'CYCLE', 'AFTER', 'BY'], [[label, request.workflowId, answer.cycle, answer.queuedBehind ? `cycle ${answer.queuedBehind} (running)` : 'now', by]]);
          return;
        }
        if (!opts.json) console.log(`${label}: rebuild is cycle ${answer.cycle}${answer.queuedBehind ? `, after cycle ${answer.queuedBehind}` : ''}`);
        const end = await waitForCycle(client, request.workflowId, answer.cycle, timeout);
        if (opts.json) printJson({ ...request, result: cycleResultJson(answer.cycle, end) });
        else printCycleResult(answer.cycle, end);
        assertCycleEnded(imageText, answer.cycle, end, timeout);
      });
    });
}
