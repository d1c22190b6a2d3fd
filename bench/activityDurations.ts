/**
 * Where a cycle's time went, read back from Temporal's history: for the
 * newest run of a workflow that published (each cycle is one run), the scheduled -> completed time of each activity type,
 * summed over its attempts, and when the publish completed. Queue time counts: it is what a user waits.
 */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { listRuns } from '../client/imageHistory';
import { fetchRunHistory } from '../client/runHistory';

const EventType = temporal.api.enums.v1.EventType;

export interface PublishedRun {
  /** Activity type -> scheduled -> completed, summed over attempts. */
  durations: Record<string, number>;
  /** When publishImage completed (the tag moved), by the server's clock: the end of the cycle as a user sees it. */
  publishedAtMs: number;
}

export async function publishedRun(client: Client, workflowId: string): Promise<PublishedRun | undefined> {
  for (const run of (await listRuns(client, workflowId)).reverse()) {
    const history = await fetchRunHistory(client, workflowId, run.runId);
    const scheduled = new Map<string, { type: string; at: number }>();
    const durations: Record<string, number> = {};
    let publishedAtMs: number | undefined;
    for (const e of history.events ?? []) {
      const at = tsToMs(e.eventTime);
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) scheduled.set(String(e.eventId), { type: e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?', at });
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        const s = scheduled.get(String(e.activityTaskCompletedEventAttributes?.scheduledEventId));
        if (s) durations[s.type] = (durations[s.type] ?? 0) + (at - s.at);
        if (s?.type === 'publishImage') publishedAtMs = at;
      }
    }
    if (publishedAtMs !== undefined) return { durations, publishedAtMs };
  }
  return undefined;
}
