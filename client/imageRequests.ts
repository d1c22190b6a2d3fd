/**
 * On-call requests to an image's patch workflow. Each is an update, not a
 * signal, because the caller needs an answer: the cycle number that will do
 * the work, or the validator's reason for refusing (a refused update writes
 * nothing to history). The `temporal workflow update execute` commands in the
 * README send exactly these names and payloads.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { type ImageRef, workflowIdFor } from '../domain/image';
import { pauseUpdate, rebuildUpdate, resumeUpdate, retryUpdate, rollbackUpdate } from '../workflows/messages';

const handleOf = (client: Client, image: ImageRef): WorkflowHandle => client.workflow.getHandle(workflowIdFor(image));

export function requestRebuild(client: Client, image: ImageRef, request: { by: string; note?: string }) {
  return handleOf(client, image).executeUpdate(rebuildUpdate, { args: [request] });
}

export function requestRetry(client: Client, image: ImageRef, request: { by: string; allowDowngrade?: string }) {
  return handleOf(client, image).executeUpdate(retryUpdate, { args: [request] });
}

export function requestPause(client: Client, image: ImageRef, request: { by: string; reason: string }) {
  return handleOf(client, image).executeUpdate(pauseUpdate, { args: [request] });
}

export function requestResume(client: Client, image: ImageRef, request: { by: string }) {
  return handleOf(client, image).executeUpdate(resumeUpdate, { args: [request] });
}

/**
 * Answers at once with the number of the rollback cycle; the verification
 * and the tag move happen in that cycle (`tempered rollback` follows it with
 * waitForCycle).
 */
export function requestRollback(client: Client, image: ImageRef, request: { by: string; digest: string; reason: string }) {
  return handleOf(client, image).executeUpdate(rollbackUpdate, { args: [request] });
}
