/**
 * One CloudEvent POSTed to one webhook, as the workers and `tempered
 * webhooks test` send it. A 2xx answer is delivered; 408, 429, 5xx, a
 * timeout or a refused connection throw a retryable failure; any other 4xx
 * means the receiver refuses this event, and retrying cannot change that
 * (non-retryable). The secret is read from its file here, for this request,
 * and nowhere else.
 */
import * as fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { binaryHeaders, type ImageEvent, structuredEvent } from '../../domain/notify/events';
import { SIGNATURE_HEADER, signatureHeader, type Webhook } from '../../domain/notify/webhooks';

export const WebhookErrorType = {
  /** TEMPERED_WEBHOOKS_FILE is unreadable or invalid (names the field): fix it; the delivery is retried meanwhile. */
  misconfigured: 'WebhooksMisconfigured',
  /** The receiver answered 4xx (not 408 or 429): it refuses this event. */
  refused: 'WebhookRefused',
} as const;

/** Returns the HTTP status of a delivered event. */
export async function deliverEvent(target: Webhook, event: ImageEvent): Promise<number> {
  const body = JSON.stringify(target.mode === 'binary' ? event.data : structuredEvent(event));
  const headers: Record<string, string> = target.mode === 'binary' ? binaryHeaders(event) : { 'content-type': 'application/cloudevents+json; charset=utf-8' };
  if (target.secretFile) headers[SIGNATURE_HEADER] = signatureHeader(readSecret(target.secretFile), body, Math.floor(Date.now() / 1000));
  let response: Response;
  try {
    response = await fetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(target.timeoutSeconds * 1000), redirect: 'error' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw ApplicationFailure.retryable(`webhook ${target.name}: ${target.url} did not answer (${why})`, 'WebhookUnreachable');
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return response.status;
  const message = `webhook ${target.name}: ${target.url} answered ${response.status} ${response.statusText}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) throw ApplicationFailure.nonRetryable(message, WebhookErrorType.refused);
  throw ApplicationFailure.retryable(message, 'WebhookFailed');
}

function readSecret(file: string): string {
  try {
    const secret = fs.readFileSync(file, 'utf8').trim();
    if (!secret) throw new Error('is empty');
    return secret;
  } catch (err) {
    throw ApplicationFailure.retryable(`webhook secret file ${file}: ${(err as Error).message}`, WebhookErrorType.misconfigured);
  }
}
