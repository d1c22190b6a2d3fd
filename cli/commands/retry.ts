/**
 * `tempered retry IMAGE [--wait]`: re-runs the failed cycle from its start
 * once the cause is fixed (the last good image stayed published meanwhile).
 * An unchanged build is answered from the build record, so a retry after a
 * fixed test or a restored registry costs seconds. Refused, with the
 * workflow's reason, when the image has no failed cycle.
 */
import type { Command } from 'commander';
import { displayName, workflowIdFor } from '../../domain/imageId';
import { IMAGE_HELP, imageArgument, minutesOption, requester } from '../arguments';
import { printJson, printTable } from '../output';
import { withClient } from '../runtime';

interface RetryOptions {
  by?: string;
  allowDowngrade?: string;
  wait?: boolean;
  timeout: string;
  json?: boolean;
}

export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description('re-run the failed patch cycle of an image from its start (after fixing the cause)')
    .argument('<image>', IMAGE_HELP)
    .option('--by <name>', 'who asks (default: your login name)')
    .option('--allow-downgrade <reason>', 'let this cycle resolve packages older than the published image (a withdrawn update), recorded with who and why')
    .option('--wait', 'follow the cycle until it ends; exit 1 if it fails again')
    .option('--timeout <minutes>', 'with --wait: how long to wait', '60')
    .option('--json', 'print JSON for scripts')
    .action(async (imageText: string, opts: RetryOptions) => {
      const image = imageArgument(imageText);
      const by = requester(opts.by);
      const timeout = minutesOption(opts.timeout);
      const label = displayName(image);
      const workflowId = workflowIdFor(image);
      const { requestRetry } = require('../../client/imageRequests') as typeof import('../../client/imageRequests');
      const { assertCycleEnded, cycleResultJson, printCycleResult, waitForCycle } = require('../cycleWait') as typeof import('../cycleWait');
      const { stateQuery } = require('../../workflows/messages') as typeof import('../../workflows/messages');
      await withClient(async (client) => {
        // The failure being retried, so --wait does not mistake it for this attempt's end.
        const before = opts.wait ? (await client.workflow.getHandle(workflowId).query(stateQuery)).failure : undefined;
        const answer = await requestRetry(client, image, { by, ...(opts.allowDowngrade ? { allowDowngrade: opts.allowDowngrade } : {}) });
        const request = { image: label, workflowId, cycle: answer.cycle, failedStage: answer.failedStage, by };
        if (!opts.wait) {
          if (opts.json) return printJson(request);
          printTable(['IMAGE', 'WORKFLOW', 'CYCLE', 'FAILED IN', 'BY'], [[label, workflowId, answer.cycle, answer.failedStage, by]]);
          return;
        }
        if (!opts.json) console.log(`${label}: retrying cycle ${answer.cycle} (it failed in ${answer.failedStage})`);
        const end = await waitForCycle(client, workflowId, answer.cycle, timeout, before?.at);
        if (opts.json) printJson({ ...request, result: cycleResultJson(answer.cycle, end) });
        else printCycleResult(answer.cycle, end);
        assertCycleEnded(imageText, answer.cycle, end, timeout);
      });
    });
}
