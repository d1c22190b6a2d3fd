/**
 * notificationWorkflow: delivers one event to every webhook that wants it,
 * each with its own retries for up to a day. Started for an image workflow
 * (workflows/events.ts) under the event's id (`notify:<event id>`), so the
 * same event is never started twice, and no cycle ever waits for it.
 */
import * as wf from '@temporalio/workflow';
import type { NotifyActivities } from '../activities/webhooks';
import type { ImageEvent } from '../domain/notify/events';

const { webhooksFor } = wf.proxyActivities<NotifyActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  scheduleToCloseTimeout: '24 hours',
});
/** Backs off to 5 minutes between attempts, and gives up after a day (the receiver then missed it: the UI says so). */
const { deliverWebhook } = wf.proxyActivities<NotifyActivities>({
  startToCloseTimeout: '90 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: ['WebhookRefused'] },
});

export interface DeliveryOutcome {
  webhook: string;
  delivered: boolean;
  detail: string;
}

export async function notificationWorkflow(event: ImageEvent): Promise<DeliveryOutcome[]> {
  const webhooks = await webhooksFor({ kind: event.kind });
  wf.setCurrentDetails(`${event.kind} ${event.subject} to ${webhooks.length} webhook(s)`);
  return Promise.all(webhooks.map(async (webhook): Promise<DeliveryOutcome> => {
    try {
      const { status, attempt } = await deliverWebhook({ webhook, event });
      return { webhook, delivered: true, detail: `HTTP ${status} on attempt ${attempt}` };
    } catch (err) {
      return { webhook, delivered: false, detail: (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : String(err) };
    }
  }));
}

export const notificationWorkflowId = (event: Pick<ImageEvent, 'id'>) => `notify:${event.id}`;
