/**
 * The advisory verdicts an image's VEX states, as the workflow hands them to
 * the sign activity. Workflow code: pure, no Node modules (vex.ts, which
 * hashes, is activity-side).
 */
import type { HandledAdvisory, WaitingAdvisory } from '../patch/state';
import type { VexJustification } from './vex';

/**
 * What the workflow decided about one advisory, as the sign activity needs
 * it: small and bounded whatever the advisory record held (an advisory may
 * be 32 KiB; its VEX record is a few hundred bytes), so the sign input stays
 * small however many advisories an image has handled.
 */
export interface VexRecord {
  id: string;
  source: string;
  /** Other ids scanners match on (CVE, GHSA, DSA): at most VEX_RECORD_LIMITS.aliases, each an id-sized string. */
  aliases?: string[];
  status: 'fixed' | 'not_affected' | 'under_investigation';
  /** The advisory's severity, for the changelog and the vulnerability report (VEX has no field for it). */
  severity?: string;
  /** `fixed`: the fixing source version; `under_investigation`: the installed one. */
  version?: string;
  /** `fixed`: the patch cycle that rebuilt the image with it. */
  cycle?: number;
  justification?: VexJustification;
  /** Why it is not affected, or why it waits (bounded). */
  note?: string;
  /** When the verdict was recorded (or since when it waits). */
  at: string;
}

export const VEX_RECORD_LIMITS = { aliases: 32, aliasChars: 40, note: 300 } as const;

/**
 * One record per (advisory, source package): an advisory still waiting is
 * under investigation whatever an older cycle said; otherwise the most
 * recent handled verdict wins (handled history can hold an advisory twice).
 * Sorted by id and source, so the same verdicts are the same records.
 */
export function vexRecords(handled: readonly HandledAdvisory[], waiting: readonly WaitingAdvisory[]): VexRecord[] {
  const byKey = new Map<string, VexRecord>();
  for (const entry of [...handled].sort((a, b) => cmp(a.at, b.at))) byKey.set(keyOf(entry.advisory), handledRecord(entry));
  for (const entry of waiting) {
    byKey.set(keyOf(entry.advisory), {
      ...identity(entry.advisory),
      status: 'under_investigation',
      ...(entry.installedVersion ? { version: entry.installedVersion } : {}),
      note: bounded(entry.why),
      at: entry.since,
    });
  }
  return [...byKey.values()].sort((a, b) => cmp(a.id, b.id) || cmp(a.source, b.source));
}

function handledRecord(entry: HandledAdvisory): VexRecord {
  const verdict = entry.verdict;
  const base = { ...identity(entry.advisory), at: entry.at };
  switch (verdict.status) {
    case 'fixed':
      return { ...base, status: 'fixed', version: verdict.version, cycle: verdict.inCycle };
    case 'not_affected':
      return { ...base, status: 'not_affected', justification: verdict.justification, note: bounded(verdict.detail) };
    case 'under_investigation':
      return { ...base, status: 'under_investigation', note: bounded(verdict.detail) };
  }
}

function identity(advisory: HandledAdvisory['advisory']): Pick<VexRecord, 'id' | 'source' | 'aliases' | 'severity'> {
  const aliases = [...advisory.aliases].filter((a) => a.length <= VEX_RECORD_LIMITS.aliasChars).sort().slice(0, VEX_RECORD_LIMITS.aliases);
  return { id: advisory.id, source: advisory.source, ...(aliases.length ? { aliases } : {}), ...(advisory.severity !== 'unknown' ? { severity: advisory.severity } : {}) };
}

const bounded = (text: string) => (text.length > VEX_RECORD_LIMITS.note ? `${text.slice(0, VEX_RECORD_LIMITS.note - 1)}…` : text);

const keyOf = (a: { id: string; source: string }) => `${a.id}\u0000${a.source}`;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
