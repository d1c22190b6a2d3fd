/**
 * Follows one patch cycle of an image until it ends, for `--wait`: polls the
 * `state` query and the pending activity (describe), reports each change of
 * phase, heartbeat step or attempt, and returns how the cycle ended. Polling,
 * not a long-poll on history, because a cycle spans runs (continue-as-new)
 * and the query always reaches the current one.
 */
import type { Client } from '@temporalio/client';
import type { CycleRecord, FailureRecord, PatchState } from '../domain/patch/state';
import { imageStatus, type ImageStatus } from './status';

export type CycleEnd =
  | { kind: 'finished'; cycle: CycleRecord; state: PatchState }
  /** The cycle failed and the workflow waits for an on-call retry (it stays Running, phase `failed`). */
  | { kind: 'failed'; cycle: CycleRecord; failure: FailureRecord; state: PatchState }
  | { kind: 'timeout'; state: PatchState };

export interface FollowOptions {
  timeoutMs: number;
  pollMs?: number;
  /** A failure already recorded when following started (a retry follows the cycle that failed): not this attempt's end. */
  previousFailureAt?: string;
  onProgress?: (line: string) => void;
}

export function progressText(cycle: number, status: ImageStatus): string {
  const state = status.state;
  if (!state) return `cycle ${cycle}: workflow ${status.status.toLowerCase()}`;
  if (state.current?.number !== cycle) return `cycle ${cycle}: queued (phase ${state.phase}${state.current ? `, cycle ${state.current.number} running` : ''})`;
  const a = status.activity;
  const activity = a ? ` - ${a.type}${a.queued ? ' queued for a worker' : a.retryAt ? ' backing off' : ''}${a.step ? `: ${a.step}` : ''}${a.attempt > 1 ? ` (attempt ${a.attempt}${a.retryAt ? ` at ${a.retryAt.slice(11, 19)}Z` : ''}${a.lastFailure ? `, last failure: ${a.lastFailure}` : ''})` : ''}` : '';
  return `cycle ${cycle}: ${state.phase}${activity}`;
}

export function cycleEnd(state: PatchState, cycle: number, previousFailureAt?: string): CycleEnd | undefined {
  const finished = state.cycles.find((c) => c.number === cycle);
  if (finished) return { kind: 'finished', cycle: finished, state };
  const current = state.current;
  if (current?.number === cycle && state.phase === 'failed' && state.failure && state.failure.at !== previousFailureAt) {
    return { kind: 'failed', cycle: current, failure: state.failure, state };
  }
  return undefined;
}

export async function followCycle(client: Client, workflowId: string, cycle: number, options: FollowOptions): Promise<CycleEnd> {
  const deadline = Date.now() + options.timeoutMs;
  let lastLine = '';
  for (;;) {
    const status = await imageStatus(client, workflowId, true);
    if (!status.state) throw new Error(`${workflowId} is ${status.status.toLowerCase()}: nothing to follow`);
    const end = cycleEnd(status.state, cycle, options.previousFailureAt);
    if (end) return end;
    const line = progressText(cycle, status);
    if (line !== lastLine) options.onProgress?.(line);
    lastLine = line;
    if (Date.now() >= deadline) return { kind: 'timeout', state: status.state };
    await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
  }
}
