/**
 * `tempered pause IMAGE --reason R`: holds an image: queued and new
 * advisories wait, no cycle starts, and the published tag stays where it is
 * (e.g. to hold a rolled-back digest while a bad upstream version is
 * investigated). A cycle already running finishes first. Refused, with the
 * workflow's reason, when the image is paused already.
 */
import type { Command } from 'commander';
import { displayName, workflowIdFor } from '../../domain/imageId';
import { IMAGE_HELP, imageArgument, reasonText, requester } from '../arguments';
import { printJson, printTable } from '../output';
import { withClient } from '../runtime';

export function registerPause(program: Command): void {
  program
    .command('pause')
    .description('hold an image: no new patch cycle starts until resume (a running cycle finishes)')
    .argument('<image>', IMAGE_HELP)
    .requiredOption('--reason <text>', 'why, shown in status and the UI until resume')
    .option('--by <name>', 'who asks (default: your login name)')
    .option('--json', 'print JSON for scripts')
    .action(async (imageText: string, opts: { reason: string; by?: string; json?: boolean }) => {
      const image = imageArgument(imageText);
      const request = { by: requester(opts.by), reason: reasonText(opts.reason) };
      const { requestPause } = require('../../client/imageRequests') as typeof import('../../client/imageRequests');
      await withClient(async (client) => {
        const answer = await requestPause(client, image, request);
        const result = { image: displayName(image), workflowId: workflowIdFor(image), ...request, ...answer };
        if (opts.json) return printJson(result);
        printTable(
          ['IMAGE', 'PAUSED AT', 'BY', 'REASON', 'OPEN CYCLE'],
          [[result.image, answer.pausedAt, request.by, request.reason, answer.cycleInFlight ? `${answer.cycleInFlight} (a pause does not stop it)` : 'none']],
        );
      });
    });
}
