/**
 * Activities `webhooksFor` and `deliverWebhook`: one CloudEvent to one
 * configured endpoint per call, so each endpoint retries on its own and a
 * dead one delays nobody (notificationWorkflow runs them side by side,
 * abandoned by the image workflow that started it).
 * How one request is made and judged: lib/notify/deliver.ts.
 */
import * as fs from 'node:fs';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { EventKind, ImageEvent } from '../domain/notify/events';
import { type Webhook, WebhooksFileSchema } from '../domain/notify/webhooks';
import { deliverEvent, WebhookErrorType } from '../lib/notify/deliver';
import { describeZodError } from '../domain/advisory/record';

export interface NotifyActivities {
  /** The names of the webhooks that get events of this kind (never their URLs' secrets). */
  webhooksFor(input: { kind: EventKind }): Promise<string[]>;
  deliverWebhook(input: { webhook: string; event: ImageEvent }): Promise<{ status: number; attempt: number }>;
}

export function webhookActivities(options: { webhooksFile?: string }): NotifyActivities {
  const load = (): Webhook[] => {
    if (!options.webhooksFile) return [];
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(options.webhooksFile, 'utf8'));
    } catch (err) {
      throw ApplicationFailure.retryable(`${options.webhooksFile}: ${(err as Error).message}`, WebhookErrorType.misconfigured);
    }
    const parsed = WebhooksFileSchema.safeParse(json);
    if (!parsed.success) throw ApplicationFailure.retryable(`${options.webhooksFile}: ${describeZodError(parsed.error)}`, WebhookErrorType.misconfigured);
    return parsed.data.webhooks;
  };
  return {
    async webhooksFor({ kind }) {
      return load().filter((w) => !w.events || w.events.includes(kind)).map((w) => w.name);
    },
    async deliverWebhook({ webhook, event }) {
      const attempt = Context.current().info.attempt;
      const target = load().find((w) => w.name === webhook);
      // Removed from the configuration since: nobody to deliver to.
      if (!target) return { status: 0, attempt };
      return { status: await deliverEvent(target, event), attempt };
    },
  };
}
