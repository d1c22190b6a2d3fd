/**
 * `tempered rollback IMAGE DIGEST --reason R`: re-points the image's tag to
 * a digest it published before. The workflow answers at once with the number
 * of a cycle of its own, which verifies that digest's signature and
 * provenance, moves the tag and records who rolled back to what and why;
 * this command follows that cycle and says how it ended. The validator
 * refuses, with its reason, while a cycle runs, a digest this image never
 * published, and the digest published now; a digest that no longer verifies
 * ends the cycle with the image left as it was (exit 1). Pause the image to
 * hold the old digest: the next advisory would otherwise publish a new one.
 */
import type { Command } from 'commander';
import type { Config } from '../../domain/config';
import { displayName, workflowIdFor } from '../../domain/imageId';
import type { PatchState } from '../../domain/patch/state';
import { digestArgument, IMAGE_HELP, imageArgument, minutesOption, reasonText, requester, resolveDigest } from '../arguments';
import { printJson, printTable, shortDigest } from '../output';
import { withClient } from '../runtime';

/** Every digest the state shows this image published: what a short digest on the command line is matched against. */
export function publishedDigests(state: PatchState): string[] {
  const digests = state.cycles.flatMap((c) => [c.outcome === 'published' || c.outcome === 'rolled-back' ? c.digest : undefined, c.previousDigest]);
  return [...new Set([...digests, state.published?.digest].filter((d): d is string => !!d))];
}

/**
 * Fails fast, in one line with exit code 3, when the registry is down: the
 * workflow's verification would otherwise keep retrying it while this
 * command waits.
 */
async function pingRegistry(config: Config): Promise<void> {
  const { host, scheme, credentials } = config.registry;
  const { RegistryClient } = require('../../lib/oci/registry') as typeof import('../../lib/oci/registry');
  await new RegistryClient({ host, scheme, credentials }).ping();
}

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('re-point the image tag to a verified digest it published before, recording who and why')
    .argument('<image>', IMAGE_HELP)
    .argument('<digest>', 'sha256:<64 hex>, or its first 7+ hex digits as status and history print them')
    .requiredOption('--reason <text>', 'why, recorded in the cycle and shown by history')
    .option('--by <name>', 'who asks (default: your login name)')
    .option('--timeout <minutes>', 'how long to follow the rollback cycle', '15')
    .option('--json', 'print JSON for scripts')
    .action(async (imageText: string, digestText: string, opts: { reason: string; by?: string; timeout: string; json?: boolean }) => {
      const image = imageArgument(imageText);
      const by = requester(opts.by);
      const reason = reasonText(opts.reason);
      const timeout = minutesOption(opts.timeout);
      const wanted = digestArgument(digestText);
      const workflowId = workflowIdFor(image);
      const { stateQuery } = require('../../workflows/messages') as typeof import('../../workflows/messages');
      const { requestRollback } = require('../../client/imageRequests') as typeof import('../../client/imageRequests');
      const { assertCycleEnded, cycleResultJson, waitForCycle } = require('../cycleWait') as typeof import('../cycleWait');
      await withClient(async (client, config) => {
        const state = await client.workflow.getHandle(workflowId).query(stateQuery);
        const digest = resolveDigest(wanted, publishedDigests(state));
        await pingRegistry(config);
        const { cycle } = await requestRollback(client, image, { by, digest, reason });
        const end = await waitForCycle(client, workflowId, cycle, timeout);
        const request = { image: displayName(image), workflowId, cycle, from: state.published?.digest, to: digest, by, reason };
        if (opts.json) printJson({ ...request, result: cycleResultJson(cycle, end) });
        else {
          // The whole refusal follows on stderr (one line); the table names its kind.
          const outcome = end.kind === 'finished' ? (end.cycle.outcome === 'failed' ? `refused (${end.cycle.failure?.type ?? 'failed'})` : end.cycle.outcome) : end.kind;
          printTable(['IMAGE', 'CYCLE', 'TAG', 'FROM', 'TO', 'OUTCOME', 'BY', 'REASON'], [[request.image, cycle, state.published?.reference ?? '', shortDigest(request.from), shortDigest(digest), outcome, by, reason]]);
        }
        assertCycleEnded(imageText, cycle, end, timeout);
        if (!opts.json && !state.paused) console.log(`to hold ${shortDigest(digest)} while you investigate: tempered pause ${imageText} --reason "..."`);
      });
    });
}
