/**
 * The webhooks configuration (TEMPERED_WEBHOOKS_FILE, read by the worker at
 * each delivery, so an edit applies without a restart) and the signature a
 * receiver checks. Secrets are named by file and read where the request is
 * made: never in a workflow, a payload or a log.
 *
 * Signature: `X-Tempered-Signature: t=<unix seconds>,v1=<hex>`, where hex is
 * HMAC-SHA256(secret, "<t>.<body>") over the exact body bytes. Receivers
 * recompute it, compare in constant time and refuse an old `t` (replay).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { EVENT_KINDS } from './events';

export const SIGNATURE_HEADER = 'x-tempered-signature';
export const WEBHOOK_LIMITS = { webhooks: 20, name: 64, url: 2048 } as const;

const WebhookSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be 1 to 64 lowercase letters, digits and dashes'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(WEBHOOK_LIMITS.url),
  /** A file holding the HMAC secret; without one, requests are not signed. */
  secretFile: z.string().min(1).optional(),
  /** Which events it gets; all of them when absent. */
  events: z.array(z.enum(EVENT_KINDS)).min(1).optional(),
  /** CloudEvents content mode. */
  mode: z.enum(['structured', 'binary']).default('structured'),
  /** How long one attempt may take before it counts as failed. */
  timeoutSeconds: z.number().int().min(1).max(60).default(10),
});

export const WebhooksFileSchema = z.strictObject({
  webhooks: z.array(WebhookSchema).max(WEBHOOK_LIMITS.webhooks).refine((list) => new Set(list.map((w) => w.name)).size === list.length, { error: 'names a webhook twice' }),
});

export type Webhook = z.infer<typeof WebhookSchema>;

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** What a receiver does (and the tests): true when `header` signs `body` with `secret` within `toleranceSeconds` of `now`. */
export function verifySignature(secret: string, body: string, header: string | undefined, now = Date.now() / 1000, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isFinite(t) || Math.abs(now - t) > toleranceSeconds || !parts.v1) return false;
  const expected = Buffer.from(signatureHeader(secret, body, t).split('v1=')[1] as string, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
