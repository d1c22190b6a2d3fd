/**
 * `tempered resume IMAGE`: ends a pause; what queued meanwhile (advisories,
 * rebuild requests) starts the next cycle. Refused, with the workflow's
 * reason, when the image is not paused.
 */
import type { Command } from 'commander';
import { displayName, workflowIdFor } from '../../domain/imageId';
import { IMAGE_HELP, imageArgument, requester } from '../arguments';
import { printJson, printTable } from '../output';
import { withClient } from '../runtime';

export function registerResume(program: Command): void {
  program
    .command('resume')
    .description('end a pause: queued advisories and requests start the next cycle')
    .argument('<image>', IMAGE_HELP)
    .option('--by <name>', 'who asks (default: your login name)')
    .option('--json', 'print JSON for scripts')
    .action(async (imageText: string, opts: { by?: string; json?: boolean }) => {
      const image = imageArgument(imageText);
      const by = requester(opts.by);
      const { requestResume } = require('../../client/imageRequests') as typeof import('../../client/imageRequests');
      await withClient(async (client) => {
        const answer = await requestResume(client, image, { by });
        const result = { image: displayName(image), workflowId: workflowIdFor(image), by, ...answer };
        if (opts.json) return printJson(result);
        printTable(['IMAGE', 'RESUMED AT', 'BY', 'QUEUED'], [[result.image, answer.resumedAt, by, answer.queued ? `${answer.queued} (a cycle starts)` : 'nothing']]);
      });
    });
}
