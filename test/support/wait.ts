/** Polls a workflow's `state` query until a predicate holds (with the last state and the last error in the error). */
import type { Client } from '@temporalio/client';
import type { PatchState } from '../../domain/patch/state';
import { stateQuery } from '../../workflows/messages';

/**
 * Every error is retried until the deadline: not only a workflow not started
 * yet or a query no worker answers yet, but also a server that is restarting
 * (UNAVAILABLE) or a query that timed out while the worker's pollers reconnect.
 */
export async function waitForState(client: Client, workflowId: string, predicate: (s: PatchState) => boolean, timeoutMs = 600_000): Promise<PatchState> {
  const deadline = Date.now() + timeoutMs;
  let last: PatchState | undefined;
  let lastError: Error | undefined;
  while (Date.now() < deadline) {
    try {
      last = await client.workflow.getHandle(workflowId).query(stateQuery);
      lastError = undefined;
      if (predicate(last)) return last;
    } catch (err) {
      lastError = err as Error;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const error = lastError ? `; last error: ${lastError.message}` : '';
  throw new Error(`timed out waiting on ${workflowId}${error}; last state: ${JSON.stringify(last, null, 2)?.slice(0, 3000)}`);
}
