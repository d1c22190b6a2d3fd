/**
 * The changelog of one publish, signed and attached as its own attestation
 * (PredicateType.changelog, documented in docs/CONSUMING.md): what a
 * consumer asks when a new digest appears. Packages added, removed and
 * changed (from the previous and the new image's SBOMs), advisories fixed
 * by this publish and still waiting (from the cycle's VEX records), the
 * base digest change of a customization, and why the cycle ran.
 *
 * Deterministic: the same inputs give the same bytes, so a retried sign
 * activity finds the attestation it attached and adds no second one.
 */
import type { VexRecord } from '../attest/vexRecords';
import type { CycleReason } from '../patch/state';
import { describeReasons } from '../patch/reasons';
import { countChanges, type PackageChanges } from './packageDiff';

/** What the workflow hands the sign activity for the changelog (small: no package lists, no advisory bodies). */
export interface ChangelogRequest {
  /** The digest the moving tag named before this publish; absent for a first publish. */
  previousDigest?: string;
  reasons: CycleReason[];
  /** Customizations: the base digest before and after this cycle. */
  base?: { from?: string; to: string };
}

export interface ChangelogAdvisory {
  id: string;
  source: string;
  severity?: string;
  aliases?: string[];
  /** fixed: the fixing source version; waiting: the version installed. */
  version?: string;
  /** waiting: why it cannot be fixed yet. */
  note?: string;
}

export interface ChangelogPredicate {
  image: { repository: string; name: string; release?: string; variant: string };
  digest: string;
  previousDigest: string | null;
  cycle: number;
  publishedOn: string;
  /** Why the cycle ran, in words, then as records. */
  why: string;
  reasons: CycleReason[];
  /** `null` when the previous image's SBOM could not be read (`packagesUnknown` says why). */
  packages: PackageChanges | null;
  packagesUnknown?: string;
  advisories: { fixed: ChangelogAdvisory[]; waiting: ChangelogAdvisory[] };
  base?: { from: string | null; to: string };
  summary: string;
}

export interface ChangelogInput {
  image: ChangelogPredicate['image'];
  digest: string;
  cycle: number;
  publishedOn: string;
  request: ChangelogRequest;
  packages: { changes: PackageChanges } | { unknown: string };
  /** The VEX records signed beside it: fixed in this cycle, and waiting. */
  vex: readonly VexRecord[];
}

export function buildChangelog(input: ChangelogInput): ChangelogPredicate {
  const advisory = (r: VexRecord): ChangelogAdvisory => ({
    id: r.id, source: r.source, ...(r.severity ? { severity: r.severity } : {}), ...(r.aliases?.length ? { aliases: r.aliases } : {}),
    ...(r.version ? { version: r.version } : {}), ...(r.status === 'under_investigation' && r.note ? { note: r.note } : {}),
  });
  const fixed = input.vex.filter((r) => r.status === 'fixed' && r.cycle === input.cycle).map(advisory);
  const waiting = input.vex.filter((r) => r.status === 'under_investigation').map(advisory);
  const packages = 'changes' in input.packages ? input.packages.changes : null;
  const { request } = input;
  const base = request.base && request.base.from !== request.base.to ? { from: request.base.from ?? null, to: request.base.to } : undefined;
  const predicate: ChangelogPredicate = {
    image: input.image,
    digest: input.digest,
    previousDigest: request.previousDigest ?? null,
    cycle: input.cycle,
    publishedOn: input.publishedOn,
    why: describeReasons(request.reasons),
    reasons: request.reasons,
    packages,
    ...('unknown' in input.packages ? { packagesUnknown: input.packages.unknown } : {}),
    advisories: { fixed, waiting },
    ...(base ? { base } : {}),
    summary: '',
  };
  predicate.summary = summarize(predicate);
  return predicate;
}

/** "3 packages changed (libssl3 3.0.15-1 -> 3.0.16-1, ...); fixes CVE-2026-1 (high); 1 advisory waiting". */
export function summarize(c: Pick<ChangelogPredicate, 'previousDigest' | 'packages' | 'advisories' | 'base'>): string {
  const parts: string[] = [];
  if (!c.previousDigest) parts.push('first publish');
  else if (!c.packages) parts.push('package changes unknown');
  else {
    const n = countChanges(c.packages);
    const shown = c.packages.changed.slice(0, 3).map((p) => `${p.name} ${p.from} -> ${p.to}`);
    parts.push(n === 0 ? 'no package changed' : `${n} package${n === 1 ? '' : 's'} changed${shown.length ? ` (${shown.join(', ')}${n > shown.length ? ', ...' : ''})` : ''}`);
  }
  if (c.base) parts.push(`base ${c.base.from ? c.base.from.slice(7, 19) : 'none'} -> ${c.base.to.slice(7, 19)}`);
  if (c.advisories.fixed.length) parts.push(`fixes ${c.advisories.fixed.slice(0, 5).map((a) => `${a.id}${a.severity ? ` (${a.severity})` : ''}`).join(', ')}${c.advisories.fixed.length > 5 ? ', ...' : ''}`);
  if (c.advisories.waiting.length) parts.push(`${c.advisories.waiting.length} advisor${c.advisories.waiting.length === 1 ? 'y' : 'ies'} waiting for a fix`);
  return parts.join('; ');
}
