/** Waiting in tests: one polling loop (until), and the workflow-state wait built on it. */
import type { Client } from '@temporalio/client';
import type { PatchState } from '../../domain/patch/state';
import { stateQuery } from '../../workflows/messages';

/**
 * Polls until `probe` returns something other than undefined or false. A
 * probe that throws is polled again; on timeout the error names what was
 * awaited (`what`, or what it returns then) and the error of the last probe,
 * if that one threw.
 */
export async function until<T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 300_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let lastError: Error | undefined;
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err as Error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Polls a workflow's `state` query until `predicate` holds; the timeout error
 * carries the last state seen. Every error is retried until the deadline: not
 * only a workflow not started yet or a query no worker answers yet, but also a
 * server that is restarting (UNAVAILABLE) or a query that timed out while the
 * worker's pollers reconnect.
 */
export function waitForState(client: Client, workflowId: string, predicate: (s: PatchState) => boolean, timeoutMs = 600_000): Promise<PatchState> {
  let last: PatchState | undefined;
  return until(
    () => `${workflowId}; last state: ${JSON.stringify(last, null, 2)?.slice(0, 3000)}`,
    async () => {
      last = await client.workflow.getHandle(workflowId).query(stateQuery);
      return predicate(last) ? last : undefined;
    },
    timeoutMs,
    500,
  );
}
