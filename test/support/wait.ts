/** Polls a workflow's `state` query until a predicate holds (with the last state in the error). */
import type { Client } from '@temporalio/client';
import type { PatchState } from '../../domain/patch/state';
import { stateQuery } from '../../workflows/messages';

export async function waitForState(client: Client, workflowId: string, predicate: (s: PatchState) => boolean, timeoutMs = 600_000): Promise<PatchState> {
  const deadline = Date.now() + timeoutMs;
  let last: PatchState | undefined;
  while (Date.now() < deadline) {
    try {
      last = await client.workflow.getHandle(workflowId).query(stateQuery);
      if (predicate(last)) return last;
    } catch (err) {
      if (!/not found|query/i.test((err as Error).message)) throw err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting on ${workflowId}; last state: ${JSON.stringify(last, null, 2)?.slice(0, 3000)}`);
}
