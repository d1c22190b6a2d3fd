/**
 * The Temporal Schedule `tempered-mirror`: copies every catalog repository,
 * every tag, with its signatures, to another registry on an interval, and
 * verifies each copy there (workflows/mirror.ts). The destination's
 * credentials are the workers' (TEMPERED_MIRROR_USERNAME,
 * TEMPERED_MIRROR_PASSWORD_FILE), never in the Schedule.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../domain/config';
import type { mirrorCatalogWorkflow } from '../workflows/mirror';
import { ensureSchedule } from './schedules';

export const MIRROR_SCHEDULE_ID = 'tempered-mirror';

export function ensureMirrorSchedule(client: Client, config: Config, destination: string, everyMs: number): Promise<'created' | 'updated'> {
  return ensureSchedule<typeof mirrorCatalogWorkflow>(client, MIRROR_SCHEDULE_ID, everyMs, {
    type: 'startWorkflow',
    workflowType: 'mirrorCatalogWorkflow',
    workflowId: MIRROR_SCHEDULE_ID,
    taskQueue: config.temporal.orchestrationQueue,
    args: [{ destination }],
    staticSummary: `mirror to ${destination}`,
    staticDetails: `Copies every catalog image tag with its signatures, attestations and referrers to ${destination}, and verifies each copy there.`,
  });
}
