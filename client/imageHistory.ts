/**
 * An image's life as on-call reads it: the patch cycles the workflow keeps in
 * its state (when, why, digests, outcome, failure) joined with the runs the
 * visibility store lists, so every cycle names the run whose history shows it
 * event by event (`temporal workflow show --run-id`, the UI, `history export`).
 */
import type { Client } from '@temporalio/client';
import type { CycleRecord, PatchState } from '../domain/patch/state';
import { stateQuery } from '../workflows/messages';

export interface RunInfo {
  runId: string;
  /** RUNNING, CONTINUED_AS_NEW, TERMINATED (e.g. replaced by a reset), ... */
  status: string;
  startTime: string;
  closeTime?: string;
  historyLength?: number;
}

export interface CycleEntry extends CycleRecord {
  /** The run the cycle ran in (one cycle per run: the workflow continues as new after each). */
  runId?: string;
  /** True for the cycle in flight (or failed and waiting for a retry). */
  current: boolean;
}

export interface ImageHistory {
  workflowId: string;
  /** Oldest first; the server keeps closed runs for the namespace's retention period only. */
  runs: RunInfo[];
  /** Oldest first; the workflow keeps the last 25 finished cycles, plus the current one. */
  cycles: CycleEntry[];
}

/** Every run of the workflow id the visibility store still lists, oldest first. */
export async function listRuns(client: Client, workflowId: string): Promise<RunInfo[]> {
  const runs: RunInfo[] = [];
  // Quoted for the list filter: ids are business keys like image:base:runtime, never user-controlled quotes.
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId.replace(/'/g, '')}'` })) {
    runs.push({
      runId: info.runId,
      status: info.status.name,
      startTime: info.startTime.toISOString(),
      closeTime: info.closeTime?.toISOString(),
      historyLength: info.historyLength,
    });
  }
  return runs.sort((a, b) => a.startTime.localeCompare(b.startTime));
}

/**
 * The run a cycle ran in: the last run started at or before the cycle's start.
 * Workflow time is the time of the workflow task, never earlier than its run's
 * start, so this needs no history download (one per run would cost seconds).
 */
export function runOfCycle(runs: RunInfo[], cycle: Pick<CycleRecord, 'startedAt'>): string | undefined {
  let found: RunInfo | undefined;
  for (const run of runs) if (run.startTime <= cycle.startedAt) found = run;
  return found?.runId;
}

export function joinCycles(state: PatchState, runs: RunInfo[]): CycleEntry[] {
  const finished = state.cycles.map((c) => ({ ...c, current: false, runId: runOfCycle(runs, c) }));
  const current = state.current ? [{ ...state.current, current: true, runId: runOfCycle(runs, state.current) }] : [];
  // The in-flight record carries the advisories it absorbed: keep the record's documented shape only.
  for (const c of current) delete (c as { advisories?: unknown }).advisories;
  return [...finished, ...current];
}

export async function imageHistory(client: Client, workflowId: string): Promise<{ history: ImageHistory; state: PatchState }> {
  const [state, runs] = await Promise.all([client.workflow.getHandle(workflowId).query(stateQuery), listRuns(client, workflowId)]);
  return { state, history: { workflowId, runs, cycles: joinCycles(state, runs) } };
}
