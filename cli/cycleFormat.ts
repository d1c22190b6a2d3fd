/** How a patch cycle reads in a terminal: why it ran, how long, how it ended. */
import type { CycleRecord, FailureRecord } from '../domain/patch/state';

export { describeReason, describeReasons } from '../domain/patch/reasons';
import { shortDigest } from './output';

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
