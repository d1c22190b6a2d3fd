/**
 * mirrorCatalogWorkflow: the continuous mirror, run by the Temporal
 * Schedule `tempered-mirror` (`tempered mirror-schedule`): every catalog
 * repository, every tag, copied with its signatures and verified at the
 * destination, one repository after the other.
 */
import * as wf from '@temporalio/workflow';
import type { MirrorActivities, MirrorRepositoryResult } from '../activities/mirror';
import type { RetentionActivities } from '../activities/retention';

const { catalogRepositories } = wf.proxyActivities<RetentionActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });
const { mirrorRepository } = wf.proxyActivities<MirrorActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes: ['MirrorVerificationFailed', 'MirrorMisconfigured'] },
});

export async function mirrorCatalogWorkflow(input: { destination: string }): Promise<MirrorRepositoryResult[]> {
  const results: MirrorRepositoryResult[] = [];
  for (const repository of await catalogRepositories()) {
    wf.setCurrentDetails(`mirroring ${repository} to ${input.destination}`);
    results.push(await mirrorRepository({ repository, destination: input.destination }));
  }
  return results;
}
