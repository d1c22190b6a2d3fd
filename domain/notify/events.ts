/**
 * What tempered tells the people who consume its images, as CloudEvents 1.0
 * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md):
 * `dev.tempered.image.published`, `.image.rolled-back`, `.cycle.failed` and
 * `.advisory.waiting` (a fix not yet available). Workflow code: pure.
 *
 * The event id is derived from what happened (workflow, cycle, attempt,
 * advisory), never random: a retried delivery, a replayed workflow or a
 * second notifier sends the same id, and receivers deduplicate on it
 * (delivery is at least once).
 */
export const EVENT_KINDS = ['image.published', 'image.rolled-back', 'cycle.failed', 'advisory.waiting'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** CloudEvents `type`: reverse-DNS prefixed, as the spec asks. */
export const eventType = (kind: EventKind) => `dev.tempered.${kind}`;

export interface ImageEvent {
  kind: EventKind;
  /** Stable: `<workflow id>/<cycle>[.<attempt>]/<kind>[/<advisory>/<source>]`. */
  id: string;
  /** `tempered:<workflow id>`: the image workflow the event comes from. */
  source: string;
  /** The image, as people name it (`base:trixie`, `custom:app`). */
  subject: string;
  /** When it happened, from the workflow clock. */
  time: string;
  data: Record<string, unknown>;
}

export function imageEvent(kind: EventKind, workflowId: string, subject: string, time: string, key: string, data: Record<string, unknown>): ImageEvent {
  return { kind, id: `${workflowId}/${key}/${kind}`, source: `tempered:${workflowId}`, subject, time, data };
}

/** The CloudEvents structured-mode body (`application/cloudevents+json`). */
export function structuredEvent(e: ImageEvent): Record<string, unknown> {
  return { specversion: '1.0', id: e.id, source: e.source, type: eventType(e.kind), subject: e.subject, time: e.time, datacontenttype: 'application/json', data: e.data };
}

/** Binary mode: the attributes as `ce-` headers, the data as the body (`application/json`). */
export function binaryHeaders(e: ImageEvent): Record<string, string> {
  return { 'ce-specversion': '1.0', 'ce-id': e.id, 'ce-source': e.source, 'ce-type': eventType(e.kind), 'ce-subject': e.subject, 'ce-time': e.time, 'content-type': 'application/json' };
}

/** A publish's event, completed with what only the publish knows (the tags it moved), by the publish activity. */
export function withPublishResult(event: ImageEvent, result: { reference: string; previousDigest?: string; uniqueTag?: string }): ImageEvent {
  return { ...event, data: { ...event.data, reference: result.reference, ...(result.previousDigest ? { previousDigest: result.previousDigest } : {}), ...(result.uniqueTag ? { uniqueTag: result.uniqueTag } : {}) } };
}
