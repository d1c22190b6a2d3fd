/**
 * How an image workflow tells people what happened. A publish or a
 * rollback hands its event to the publish activity, which starts the
 * notification once the tag moved (nothing added to this history, so a
 * plain cycle stays short). The rarer events (a failed cycle, an advisory
 * that waits) are started by a local activity: one marker event. Either way
 * the notificationWorkflow is named by the event id, so the same event
 * twice (a retried task, a reset) is started once, and no cycle waits for a
 * receiver. Telling never fails a cycle: one that cannot be started is logged.
 */
import * as wf from '@temporalio/workflow';
import type { NotifyActivities } from '../activities/webhooks';
import { imageEvent, type EventKind, type ImageEvent } from '../domain/notify/events';
import type { ImageEntity } from './imageEntity';
import { Patch } from './patches';

const { startNotification } = wf.proxyLocalActivities<NotifyActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});

/** The event of `kind` for this image, `key` naming the occasion (`<cycle>`, `<cycle>.<attempt>`, ...). */
export function eventOf(entity: ImageEntity, kind: EventKind, key: string, data: Record<string, unknown>): ImageEvent {
  return imageEvent(kind, wf.workflowInfo().workflowId, entity.label, new Date().toISOString(), key, { image: entity.label, ...data });
}

export async function emitEvent(entity: ImageEntity, kind: EventKind, key: string, data: Record<string, unknown>): Promise<void> {
  if (!entity.patched(Patch.notifications)) return;
  const event = eventOf(entity, kind, key, data);
  try {
    await startNotification(event);
  } catch (err) {
    wf.log.warn('notification not started', { event: event.id, error: (err as Error).message });
  }
}
