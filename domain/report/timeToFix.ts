/**
 * Time to fix, per advisory and image: from when tempered first learned of
 * it (and, where the feed says, from the feed's own published time) to the
 * publish that carried the fix. Read from each image workflow's handled
 * verdicts (domain/patch/state.ts: learnedAt, publishedAt). Pure.
 */
import { displayName } from '../image';
import type { PatchState } from '../patch/state';

export interface FixRecord {
  image: string;
  advisory: string;
  source: string;
  severity: string;
  learnedAt: string;
  /** The feed's published time, when the advisory carried one. */
  feedPublishedAt?: string;
  publishedAt: string;
  /** From learnedAt, in hours. */
  hours: number;
  /** From the feed's published time, in hours. */
  hoursSinceFeed?: number;
}

export interface SeverityStats {
  severity: string;
  count: number;
  medianHours: number;
  slowest: FixRecord;
}

export interface SlaReport {
  records: FixRecord[];
  bySeverity: SeverityStats[];
  byImage: { image: string; count: number; medianHours: number }[];
  /** Fixed advisories without the times (handled before time to fix was kept, or already fixed when learned). */
  untimed: number;
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'unknown'];
const hoursBetween = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 3_600_000);

export function fixRecords(states: readonly PatchState[], since?: string): { records: FixRecord[]; untimed: number } {
  const records: FixRecord[] = [];
  let untimed = 0;
  for (const state of states) {
    for (const h of state.handled) {
      if (h.verdict.status !== 'fixed') continue;
      if (!h.learnedAt || !h.publishedAt) {
        untimed++;
        continue;
      }
      if (since && h.publishedAt < since) continue;
      const feed = h.advisory.published;
      records.push({
        image: displayName(state.image), advisory: h.advisory.id, source: h.advisory.source, severity: h.advisory.severity,
        learnedAt: h.learnedAt, publishedAt: h.publishedAt, hours: hoursBetween(h.learnedAt, h.publishedAt),
        ...(feed ? { feedPublishedAt: feed, hoursSinceFeed: hoursBetween(feed, h.publishedAt) } : {}),
      });
    }
  }
  return { records: records.sort((a, b) => a.publishedAt.localeCompare(b.publishedAt) || a.image.localeCompare(b.image)), untimed };
}

export function slaReport(states: readonly PatchState[], since?: string): SlaReport {
  const { records, untimed } = fixRecords(states, since);
  const groups = <K extends string>(key: (r: FixRecord) => K) => {
    const map = new Map<K, FixRecord[]>();
    for (const r of records) map.set(key(r), [...(map.get(key(r)) ?? []), r]);
    return map;
  };
  const bySeverity = [...groups((r) => r.severity)].map(([severity, list]) => ({
    severity, count: list.length, medianHours: median(list.map((r) => r.hours)), slowest: list.reduce((a, b) => (b.hours > a.hours ? b : a)),
  })).sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
  const byImage = [...groups((r) => r.image)].map(([image, list]) => ({ image, count: list.length, medianHours: median(list.map((r) => r.hours)) }))
    .sort((a, b) => a.image.localeCompare(b.image));
  return { records, bySeverity, byImage, untimed };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? 0 : sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** "42 s", "3.5 h", "2.1 d": a duration people read at a glance. */
export function formatHours(hours: number): string {
  if (hours < 1 / 60) return `${Math.round(hours * 3600)} s`;
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  return `${(hours / 24).toFixed(1)} d`;
}
