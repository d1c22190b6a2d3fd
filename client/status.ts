/**
 * What every image workflow is doing: the visibility list (search
 * attributes) joined with each workflow's `state` query, and the pending
 * activity (with its heartbeat step and last failure) from describe().
 */
import type { Client, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { PatchPhase, PatchState } from '../domain/patch/state';
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
  // Both at once: a workflow that is not running refuses the query, and then describe says why.
  const [description, state] = await Promise.all([handle.describe(), handle.query(stateQuery).catch(() => undefined)]);
  const result: ImageStatus = { workflowId, runId: description.runId, status: description.status.name };
  if (description.status.name !== 'RUNNING') return result;
  result.state = state ?? (await handle.query(stateQuery));
  if (withActivity) result.activity = pendingActivity(description.raw.pendingActivities?.[0]);
  return result;
}

/** Phases in which an activity may be pending: only these need a describe for `activity`. */
const STAGES = new Set<PatchPhase>(['resolving', 'building', 'testing', 'scanning', 'signing', 'publishing', 'cascading']);

/**
 * Every running image workflow: the list gives id, run and status, a query
 * each gives the state, and only an image in a stage is described for its
 * pending activity (an idle catalog costs one query per image).
 */
export async function allImageStatuses(client: Client, withActivity = false): Promise<ImageStatus[]> {
  const infos = await listImageWorkflows(client);
  const one = async (info: WorkflowExecutionInfo): Promise<ImageStatus> => {
    const handle = client.workflow.getHandle(info.workflowId);
    const state = await handle.query(stateQuery).catch(() => undefined);
    // Closed between the list and the query (a continue-as-new is seamless; a termination is not): describe says what it is.
    if (!state) return imageStatus(client, info.workflowId, withActivity);
    const result: ImageStatus = { workflowId: info.workflowId, runId: info.runId, status: info.status.name, state };
    if (withActivity && STAGES.has(state.phase)) result.activity = pendingActivity((await handle.describe()).raw.pendingActivities?.[0]);
    return result;
  };
  const statuses: ImageStatus[] = [];
  // Bounded: each is a query answered by a worker, and a catalog may hold hundreds.
  for (let i = 0; i < infos.length; i += 32) statuses.push(...(await Promise.all(infos.slice(i, i + 32).map(one))));
  return statuses;
}

type PendingActivityInfo = NonNullable<Awaited<ReturnType<WorkflowHandle['describe']>>['raw']['pendingActivities']>[number];

function pendingActivity(raw: PendingActivityInfo | undefined): ImageStatus['activity'] {
  if (!raw) return undefined;
  const heartbeat = raw.heartbeatDetails?.payloads?.[0]?.data;
  const retryAt = optionalTsToDate(raw.nextAttemptScheduleTime);
  return {
    type: raw.activityType?.name ?? 'unknown',
    attempt: raw.attempt ?? 1,
    // SCHEDULED without a next attempt time: waiting for a worker slot (e.g. behind other builds), not running yet.
    queued: raw.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED && !retryAt,
    step: heartbeat ? safeJson(Buffer.from(heartbeat).toString('utf8')) : undefined,
    lastFailure: raw.lastFailure?.message ?? undefined,
    ...(retryAt ? { retryAt: retryAt.toISOString() } : {}),
  };
}

function safeJson(text: string): string {
  try {
    return String(JSON.parse(text));
  } catch {
    return text;
  }
}
