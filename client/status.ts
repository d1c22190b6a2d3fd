/**
 * What every image workflow is doing: the visibility list (search
 * attributes) joined with each workflow's `state` query, and the pending
 * activity (with its heartbeat step and last failure) from describe().
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { PatchState } from '../domain/patch/state';
import { stateQuery } from '../workflows/messages';

export interface ImageStatus {
  workflowId: string;
  runId: string;
  status: string;
  state?: PatchState;
  /**
   * The running activity, if any: its type, attempt, last heartbeat step and
   * last failure; `retryAt` when it failed and waits out its retry backoff.
   */
  activity?: { type: string; attempt: number; queued: boolean; step?: string; lastFailure?: string; retryAt?: string };
}

export async function listImageWorkflows(client: Client, extraQuery?: string): Promise<WorkflowExecutionInfo[]> {
  const query = `WorkflowType = 'imagePatchWorkflow' AND ExecutionStatus = 'Running'${extraQuery ? ` AND ${extraQuery}` : ''}`;
  const out: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query })) out.push(info);
  return out.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

export async function imageStatus(client: Client, workflowId: string, withActivity = false): Promise<ImageStatus> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const result: ImageStatus = { workflowId, runId: description.runId, status: description.status.name };
  if (description.status.name !== 'RUNNING') return result;
  result.state = await handle.query(stateQuery);
  if (withActivity) {
    const raw = description.raw.pendingActivities?.[0];
    if (raw) {
      const heartbeat = raw.heartbeatDetails?.payloads?.[0]?.data;
      const retryAt = optionalTsToDate(raw.nextAttemptScheduleTime);
      result.activity = {
        type: raw.activityType?.name ?? 'unknown',
        attempt: raw.attempt ?? 1,
        // SCHEDULED without a next attempt time: waiting for a worker slot (e.g. behind other builds), not running yet.
        queued: raw.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED && !retryAt,
        step: heartbeat ? safeJson(Buffer.from(heartbeat).toString('utf8')) : undefined,
        lastFailure: raw.lastFailure?.message ?? undefined,
        ...(retryAt ? { retryAt: retryAt.toISOString() } : {}),
      };
    }
  }
  return result;
}

export async function allImageStatuses(client: Client, withActivity = false): Promise<ImageStatus[]> {
  const infos = await listImageWorkflows(client);
  const statuses: ImageStatus[] = [];
  for (let i = 0; i < infos.length; i += 16) {
    statuses.push(...(await Promise.all(infos.slice(i, i + 16).map((info) => imageStatus(client, info.workflowId, withActivity)))));
  }
  return statuses;
}

function safeJson(text: string): string {
  try {
    return String(JSON.parse(text));
  } catch {
    return text;
  }
}
