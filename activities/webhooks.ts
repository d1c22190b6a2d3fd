/**
 * Activities of notifications: `startNotification` (a local activity of the
 * image workflow, for the events no stage activity carries), and
 * `webhooksFor` and `deliverWebhook` of notificationWorkflow: one CloudEvent
 * to one configured endpoint per call, so each endpoint retries on its own
 * and a dead one delays nobody. How one request is made and judged:
 * lib/notify/deliver.ts; where events go: lib/notify/notifier.ts.
 */
import { Context } from '@temporalio/activity';
import type { EventKind, ImageEvent } from '../domain/notify/events';
import { deliverEvent } from '../lib/notify/deliver';
import type { Notifier, StartOutcome } from '../lib/notify/notifier';

export interface NotifyActivities {
  startNotification(event: ImageEvent): Promise<StartOutcome>;
  /** The names of the webhooks that get events of this kind (never their secrets). */
  webhooksFor(input: { kind: EventKind }): Promise<string[]>;
  deliverWebhook(input: { webhook: string; event: ImageEvent }): Promise<{ status: number; attempt: number }>;
}

export function webhookActivities(notifier: Notifier): NotifyActivities {
  return {
    startNotification: (event) => notifier.start(event),
    async webhooksFor({ kind }) {
      return notifier.webhooks().filter((w) => !w.events || w.events.includes(kind)).map((w) => w.name);
    },
    async deliverWebhook({ webhook, event }) {
      const attempt = Context.current().info.attempt;
      const target = notifier.webhooks().find((w) => w.name === webhook);
      // Removed from the configuration since: nobody to deliver to.
      if (!target) return { status: 0, attempt };
      return { status: await deliverEvent(target, event), attempt };
    },
  };
}
