/**
 * What every run of a workflow id went through, read from the server: run
 * status, history length, workflow task failures (with their cause), and
 * whether a workflow task is failing right now (a failing task is retried
 * without writing new events, so the history alone does not show it).
 */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { listRuns } from '../../client/imageHistory';
import { fetchRunHistory } from '../../client/runHistory';

const EventType = temporal.api.enums.v1.EventType;
const FailedCause = temporal.api.enums.v1.WorkflowTaskFailedCause;

export interface RunSummary {
  runId: string;
  status: string;
  events: number;
  /** `cause: message` of each WorkflowTaskFailed event. */
  taskFailures: string[];
}

/**
 * A client that can read big histories: the default gRPC receive limit is
 * 4 MiB, and a run that took megabyte-sized signals (the size attacks) is
 * larger than that.
 */
export async function historyClient(address: string): Promise<Client> {
  const connection = await Connection.connect({ address, channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } });
  return new Client({ connection });
}

/** Every run of `workflowId`, oldest first. */
export async function runSummaries(client: Client, workflowId: string): Promise<RunSummary[]> {
  const summaries: RunSummary[] = [];
  for (const run of await listRuns(client, workflowId)) {
    const history = await fetchRunHistory(client, workflowId, run.runId);
    const events = history.events ?? [];
    const taskFailures: string[] = [];
    for (const e of events) {
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
        const a = e.workflowTaskFailedEventAttributes;
        taskFailures.push(`${FailedCause[a?.cause ?? 0] ?? String(a?.cause)}: ${a?.failure?.message ?? ''}`.slice(0, 500));
      }
    }
    summaries.push({ runId: run.runId, status: run.status, events: events.length, taskFailures });
  }
  return summaries;
}

/** The attempt number of the current run's pending workflow task: above 1 means it is failing and being retried. */
export async function pendingTaskAttempt(client: Client, workflowId: string): Promise<number> {
  const description = await client.workflow.getHandle(workflowId).describe();
  return description.raw.pendingWorkflowTask?.attempt ?? 0;
}

/**
 * Workflow task failures that mean something broke: all but UNHANDLED_COMMAND. That one is the server refusing a
 * completion (here: the continue-as-new) because new signals arrived while the task ran; the worker runs a new task
 * with them at once and nothing is lost or repeated. A signal flood makes it likely, and no workflow code can
 * prevent it, so it is counted and reported, not treated as a defect.
 */
export const harmfulTaskFailures = (runs: RunSummary[]) => runs.flatMap((r) => r.taskFailures).filter((f) => !f.startsWith('WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND'));
export const unhandledCommandRaces = (runs: RunSummary[]) => runs.flatMap((r) => r.taskFailures).length - harmfulTaskFailures(runs).length;

/** A compact line for failure messages. */
export const describeRuns = (runs: RunSummary[]) =>
  runs.map((r) => `${r.status} ${r.events} events${r.taskFailures.length ? ` [${r.taskFailures.join(' | ')}]` : ''}`).join('; ');
