/**
 * tagRetentionWorkflow: the unique tag cleanup, run by the Temporal
 * Schedule `tempered-tag-retention` (daily). One activity per repository,
 * one after the other (the registry is shared with publishing); the result
 * says what went, per repository.
 */
import * as wf from '@temporalio/workflow';
import type { PruneResult, RetentionActivities } from '../activities/retention';
import type { RetentionPolicy } from '../domain/tags/retention';

const { catalogRepositories, pruneUniqueTags } = wf.proxyActivities<RetentionActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
});

export async function tagRetentionWorkflow(policy: RetentionPolicy): Promise<PruneResult[]> {
  const now = new Date().toISOString();
  const results: PruneResult[] = [];
  for (const repository of await catalogRepositories()) {
    wf.setCurrentDetails(`pruning unique tags of ${repository} (keep ${policy.keepDays} days, newest ${policy.keepNewest})`);
    results.push(await pruneUniqueTags({ repository, policy, now }));
  }
  return results;
}
