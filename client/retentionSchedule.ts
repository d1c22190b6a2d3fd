/**
 * The Temporal Schedule `tempered-tag-retention`: runs tagRetentionWorkflow
 * once a day with the configured policy (TEMPERED_UNIQUE_TAG_DAYS,
 * TEMPERED_UNIQUE_TAG_KEEP). Created or brought to the configured policy by
 * `tempered up`, leaving a pause by an operator alone.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../domain/config';
import type { tagRetentionWorkflow } from '../workflows/retention';
import { ensureSchedule } from './schedules';

export const RETENTION_SCHEDULE_ID = 'tempered-tag-retention';
const DAY_MS = 86_400_000;

export function ensureRetentionSchedule(client: Client, config: Config): Promise<'created' | 'updated'> {
  const { keepDays, keepNewest } = config.uniqueTagRetention;
  return ensureSchedule<typeof tagRetentionWorkflow>(client, RETENTION_SCHEDULE_ID, DAY_MS, {
    type: 'startWorkflow',
    workflowType: 'tagRetentionWorkflow',
    workflowId: RETENTION_SCHEDULE_ID,
    taskQueue: config.temporal.orchestrationQueue,
    args: [config.uniqueTagRetention],
    staticSummary: 'unique tag retention',
    staticDetails: `Deletes unique tags older than ${keepDays} days beyond the newest ${keepNewest} of each moving tag, never a digest a moving tag, a kept tag or a customization names.`,
  });
}
