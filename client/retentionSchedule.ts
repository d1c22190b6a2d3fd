/**
 * The Temporal Schedule `tempered-tag-retention`: runs tagRetentionWorkflow
 * once a day with the configured policy (TEMPERED_UNIQUE_TAG_DAYS,
 * TEMPERED_UNIQUE_TAG_KEEP). Created or brought to the configured policy by
 * `tempered up`, leaving a pause by an operator alone; overlap SKIP.
 */
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Config } from '../domain/config';

export const RETENTION_SCHEDULE_ID = 'tempered-tag-retention';

export async function ensureRetentionSchedule(client: Client, config: Config): Promise<'created' | 'updated'> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'tagRetentionWorkflow',
    workflowId: RETENTION_SCHEDULE_ID,
    taskQueue: config.temporal.orchestrationQueue,
    args: [config.uniqueTagRetention],
    staticSummary: 'unique tag retention',
    staticDetails: `Deletes unique tags older than ${config.uniqueTagRetention.keepDays} days beyond the newest ${config.uniqueTagRetention.keepNewest} of each moving tag, never a digest a moving tag, a kept tag or a customization names.`,
  };
  const spec = { intervals: [{ every: '1 day' as const }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' as const, pauseOnFailure: false };
  try {
    await client.schedule.create({ scheduleId: RETENTION_SCHEDULE_ID, spec, action, policies });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(RETENTION_SCHEDULE_ID).update((previous) => ({ spec, action, policies, state: previous.state }));
  return 'updated';
}
