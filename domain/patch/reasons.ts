/**
 * Why a patch cycle ran, in words: for the CLI's tables and the changelog
 * attestation. Pure, so workflow and activity code can both use it.
 */
import type { CycleReason } from './state';

const shortDigest = (digest?: string) => (digest ? digest.replace('sha256:', '').slice(0, 12) : '');

/** A reason of a kind this CLI version does not know yet still prints, as its fields. */
type AnyReason = CycleReason | ({ kind: string } & Record<string, unknown>);

export function describeReason(reason: AnyReason): string {
  const r = reason as { kind: string } & Record<string, unknown>;
  switch (r.kind) {
    case 'initial':
      return 'first build';
    case 'advisories':
      return `advisories ${list(r.ids as string[])}`;
    case 'rebuild':
      return `rebuild by ${r.by}${r.note ? `: ${r.note}` : ''}`;
    case 'upstream':
      return `upstream ${list(r.packages as string[])}`;
    case 'base-changed':
      return `base changed to ${shortDigest(r.baseDigest as string)}`;
    case 'retry':
      return 'retried by on-call';
    case 'downgrade-allowed':
      return `downgrade allowed by ${r.by}: ${r.reason}`;
    case 'rollback':
      return `rollback to ${shortDigest(r.digest as string)} by ${r.by}${r.reason ? `: ${r.reason}` : ''}`;
    default: {
      const { kind, ...rest } = r;
      return `${kind} ${JSON.stringify(rest)}`;
    }
  }
}

/** "advisories CVE-1; retried by on-call x2": a reason repeated (each retry adds one) is counted, not repeated. */
export function describeReasons(reasons: AnyReason[]): string {
  const counts = new Map<string, number>();
  for (const text of reasons.map(describeReason)) counts.set(text, (counts.get(text) ?? 0) + 1);
  return [...counts].map(([text, n]) => (n > 1 ? `${text} x${n}` : text)).join('; ');
}

function list(values: string[] = []): string {
  return values.length > 4 ? `${values.slice(0, 4).join(', ')} +${values.length - 4}` : values.join(', ');
}
