/**
 * Where events go: the webhooks of TEMPERED_WEBHOOKS_FILE (read at each
 * use, so an edit applies without a restart) and the notificationWorkflow
 * that delivers one event to them. Started by the publish activity (a
 * publish or a rollback: no event of its own in the image's history) or
 * by a local activity (a failed cycle, an advisory that waits), under the
 * event's id: `notify:<id>` is started at most once, whoever asks twice.
 */
import * as fs from 'node:fs';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { describeZodError } from '../../domain/advisory/record';
import type { ImageEvent } from '../../domain/notify/events';
import { type Webhook, WebhooksFileSchema } from '../../domain/notify/webhooks';
import { notificationWorkflow, notificationWorkflowId } from '../../workflows/notification';
import { WebhookErrorType } from './deliver';

export interface NotifierOptions {
  webhooksFile?: string;
  /** The client that starts notification workflows, and their queue (the orchestration queue). */
  temporal?: () => Promise<Client>;
  taskQueue?: string;
}

export type StartOutcome = 'started' | 'already-started' | 'no-webhooks';

export class Notifier {
  constructor(private readonly options: NotifierOptions) {}

  /** The configured webhooks; an unreadable or invalid file is a retryable failure naming the field. */
  webhooks(): Webhook[] {
    const file = this.options.webhooksFile;
    if (!file) return [];
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw ApplicationFailure.retryable(`${file}: ${(err as Error).message}`, WebhookErrorType.misconfigured);
    }
    const parsed = WebhooksFileSchema.safeParse(json);
    if (!parsed.success) throw ApplicationFailure.retryable(`${file}: ${describeZodError(parsed.error)}`, WebhookErrorType.misconfigured);
    return parsed.data.webhooks;
  }

  async start(event: ImageEvent): Promise<StartOutcome> {
    let wanted = true;
    try {
      wanted = this.webhooks().some((w) => !w.events || w.events.includes(event.kind));
    } catch {
      // An unreadable configuration: start the notification anyway; its delivery retries until the file is fixed.
    }
    if (!wanted) return 'no-webhooks';
    const { temporal, taskQueue } = this.options;
    if (!temporal || !taskQueue) throw ApplicationFailure.nonRetryable('this worker cannot start notification workflows (no Temporal client)');
    try {
      await (await temporal()).workflow.start(notificationWorkflow, {
        workflowId: notificationWorkflowId(event), taskQueue, args: [event], workflowIdReusePolicy: 'REJECT_DUPLICATE', staticSummary: `${event.kind} ${event.subject}`,
      });
      return 'started';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
      throw err;
    }
  }
}
