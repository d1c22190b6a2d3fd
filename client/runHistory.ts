/**
 * Reads one run's history in pages small enough for any run.
 *
 * The server writes every signal into the history the moment it accepts it,
 * so a run can grow past 4 MiB between two of its workflow tasks however soon
 * the workflow continues as new (a flood of 32 KiB signals while the worker
 * is busy). The SDK's `fetchHistory` asks for the server's default page (up
 * to 1,000 events), which then exceeds the 4 MiB a gRPC client accepts, and
 * the run can no longer be exported, replayed or inspected. This reader asks
 * for a bounded number of events per page, and halves it for a page that is
 * still too large (an activity result may be larger than a signal; the
 * client retries RESOURCE_EXHAUSTED for about 40 s first, so that path is
 * slow, and the first page size is chosen to never need it for signals).
 */
import type { Client } from '@temporalio/client';
import { isGrpcServiceError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** gRPC's RESOURCE_EXHAUSTED, which a client raises for a message over its receive limit. */
const RESOURCE_EXHAUSTED = 8;

/** 64 events of the largest signal (32 KiB) are 2 MiB: half of what a client reads in one message. */
export const HISTORY_PAGE_EVENTS = 64;

export async function fetchRunHistory(client: Client, workflowId: string, runId?: string): Promise<temporal.api.history.v1.History> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  let pageSize = HISTORY_PAGE_EVENTS;
  for (;;) {
    let response: temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
    try {
      response = await client.workflowService.getWorkflowExecutionHistory({
        namespace: client.options.namespace,
        execution: { workflowId, runId },
        maximumPageSize: pageSize,
        nextPageToken,
      });
    } catch (err) {
      if (pageSize > 1 && isGrpcServiceError(err) && err.code === RESOURCE_EXHAUSTED) {
        pageSize = Math.max(1, Math.floor(pageSize / 2));
        continue;
      }
      throw err;
    }
    events.push(...(response.history?.events ?? []));
    nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
    if (!nextPageToken) return temporal.api.history.v1.History.create({ events });
  }
}
