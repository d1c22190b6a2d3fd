/** Reads a workflow's histories (all runs of the id) to count what really happened. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

/** Activity type -> number of completed executions, across every run of the workflow id. */
export async function completedActivities(client: Client, workflowId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const runs: string[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(info.runId);
  for (const runId of runs) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const scheduled = new Map<string, string>();
    for (const event of history.events ?? []) {
      if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        scheduled.set(String(event.eventId), event.activityTaskScheduledEventAttributes?.activityType?.name ?? '?');
      }
      if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        const type = scheduled.get(String(event.activityTaskCompletedEventAttributes?.scheduledEventId)) ?? '?';
        counts[type] = (counts[type] ?? 0) + 1;
      }
    }
  }
  return counts;
}
