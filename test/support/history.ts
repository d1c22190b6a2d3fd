/** Reads a workflow's histories (all runs of the id) to count what really happened. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { listRuns } from '../../client/imageHistory';
import { fetchRunHistory } from '../../client/runHistory';

const EventType = temporal.api.enums.v1.EventType;

export interface ActivityRecord {
  scheduled: number;
  completed: number;
  /** The attempt number of each started execution (the history records the last attempt only). */
  attempts: number[];
  /** The identity (`tempered-<role> <pid>@<host> node <version>`) of the worker of each started execution, in the order of `attempts`. */
  identities: string[];
  /** The failure of the attempt before, as the started event records it. */
  lastFailures: string[];
}

/** Activity type -> what its executions did, across every run of the workflow id, oldest run first. */
export async function activityRecords(client: Client, workflowId: string): Promise<Record<string, ActivityRecord>> {
  const out: Record<string, ActivityRecord> = {};
  for (const { runId } of await listRuns(client, workflowId)) {
    const types = new Map<string, string>();
    for (const e of (await fetchRunHistory(client, workflowId, runId)).events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && scheduled) {
        const type = scheduled.activityType?.name ?? '?';
        types.set(String(e.eventId), type);
        (out[type] ??= { scheduled: 0, completed: 0, attempts: [], identities: [], lastFailures: [] }).scheduled++;
      }
      const started = e.activityTaskStartedEventAttributes;
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && started) {
        const record = out[types.get(String(started.scheduledEventId)) ?? '?'];
        record?.attempts.push(started.attempt ?? 0);
        record?.identities.push(started.identity ?? '');
        if (started.lastFailure?.message) record?.lastFailures.push(started.lastFailure.message);
      }
      const completed = e.activityTaskCompletedEventAttributes;
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && completed) {
        const record = out[types.get(String(completed.scheduledEventId)) ?? '?'];
        if (record) record.completed++;
      }
    }
  }
  return out;
}

/** Activity type -> number of completed executions (types with none left out), across every run of the workflow id. */
export async function completedActivities(client: Client, workflowId: string): Promise<Record<string, number>> {
  const records = await activityRecords(client, workflowId);
  return Object.fromEntries(Object.entries(records).flatMap(([type, r]) => (r.completed > 0 ? [[type, r.completed]] : [])));
}
