/**
 * How an image workflow tells people what happened: it starts a
 * notificationWorkflow for the event, abandoned (the cycle goes on at once,
 * a dead receiver never holds it) and named by the event id (the same event
 * twice, after a retry or a reset, is refused by the server, not sent again).
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import { imageEvent, type EventKind } from '../domain/notify/events';
import type { ImageEntity } from './imageEntity';
import { notificationWorkflow, notificationWorkflowId } from './notification';
import { Patch } from './patches';

export async function emitEvent(entity: ImageEntity, kind: EventKind, key: string, data: Record<string, unknown>): Promise<void> {
  if (!wf.patched(Patch.notifications)) return;
  const event = imageEvent(kind, wf.workflowInfo().workflowId, entity.label, new Date().toISOString(), key, { image: entity.label, ...data });
  try {
    await wf.startChild(notificationWorkflow, {
      workflowId: notificationWorkflowId(event),
      args: [event],
      taskQueue: entity.settings.queues.orchestration,
      parentClosePolicy: 'ABANDON',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `${kind} ${entity.label}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw err;
  }
}
