/** How a patch cycle reads in a terminal: why it ran, how long, how it ended. */
import type { CycleReason, CycleRecord, FailureRecord } from '../domain/patch/state';
import { shortDigest } from './output';

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

export function describeFailure(failure?: FailureRecord): string {
  return failure ? `${failure.stage}: ${failure.activity} ${failure.type}: ${failure.message}` : '';
}

export function cycleDuration(cycle: Pick<CycleRecord, 'startedAt' | 'finishedAt'>, now = Date.now()): string {
  const end = cycle.finishedAt ? Date.parse(cycle.finishedAt) : now;
  const s = Math.max(0, Math.round((end - Date.parse(cycle.startedAt)) / 1000));
  const text = s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
  return cycle.finishedAt ? text : `${text} so far`;
}

/** "60181af00fb2 -> 9e5abc98bd41" when the cycle published a new digest, else the digest it built, if any. */
export function digestChange(cycle: Pick<CycleRecord, 'digest' | 'previousDigest' | 'outcome'>): string {
  if (!cycle.digest) return '';
  if (cycle.previousDigest && cycle.previousDigest !== cycle.digest) return `${shortDigest(cycle.previousDigest)} -> ${shortDigest(cycle.digest)}`;
  return shortDigest(cycle.digest);
}

function list(values: string[] = []): string {
  return values.length > 4 ? `${values.slice(0, 4).join(', ')} +${values.length - 4}` : values.join(', ');
}
