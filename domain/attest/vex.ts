/**
 * OpenVEX v0.2.0 (https://github.com/openvex/spec) from what an image's
 * patch workflow decided about each advisory: `fixed` (with the fixing
 * version), `not_affected` (with the justification the scan found), and
 * `under_investigation` for advisories still waiting for a fix.
 *
 * Deterministic: the document timestamp comes from the caller (the
 * workflow), statement timestamps from when each verdict was recorded, and
 * the `@id` is derived from the content, so the same verdicts always give
 * the same bytes and a retried sign activity does not attach a second VEX.
 */
import { z } from 'zod';
import type { HandledAdvisory, WaitingAdvisory } from '../patch/state';
import { canonicalJson, sha256Digest, hexOf } from '../digest';
import { AttestationInputError } from './errors';
import { debianPurl, ociPurl } from './purl';

export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';
export const VEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];

export type VexJustification =
  | 'component_not_present'
  | 'vulnerable_code_not_present'
  | 'vulnerable_code_not_in_execute_path'
  | 'vulnerable_code_cannot_be_controlled_by_adversary'
  | 'inline_mitigations_already_exist';

export interface VexComponent {
  '@id': string;
}

export interface VexProduct extends VexComponent {
  identifiers: { purl: string };
  hashes: { 'sha-256': string };
  subcomponents?: VexComponent[];
}

export interface VexStatement {
  vulnerability: { name: string; aliases?: string[] };
  timestamp: string;
  products: VexProduct[];
  status: VexStatus;
  status_notes?: string;
  justification?: VexJustification;
  impact_statement?: string;
  action_statement?: string;
}

export interface OpenVexDocument {
  '@context': typeof OPENVEX_CONTEXT;
  '@id': string;
  author: string;
  timestamp: string;
  version: number;
  tooling: string;
  statements: VexStatement[];
}

export interface VexPackage {
  name: string;
  version: string;
  architecture: string;
  /** Debian source package: advisories name sources, VEX subcomponents name binaries. */
  source: string;
}

export interface VexInput {
  /** `registry/repository` and manifest digest of the image the statements are about. */
  image: { repositoryUrl: string; digest: string };
  handled: readonly HandledAdvisory[];
  waiting: readonly WaitingAdvisory[];
  /** The image's binary packages, to list the affected ones as subcomponents; omitted when unknown. */
  packages?: readonly VexPackage[];
  author: string;
  /** Issue time of the document, from the workflow (never the clock: retries must give the same bytes). */
  timestamp: string;
  distro?: string;
}

const TimestampSchema = z.iso.datetime({ offset: true });

export function buildOpenVex(input: VexInput): OpenVexDocument {
  if (!TimestampSchema.safeParse(input.timestamp).success) {
    throw new AttestationInputError('INVALID_VEX_INPUT', `vex timestamp "${input.timestamp}" is not an RFC 3339 date-time`);
  }
  if (!input.author.trim()) throw new AttestationInputError('INVALID_VEX_INPUT', 'vex author is empty');
  const productPurl = ociPurl(input.image.repositoryUrl, input.image.digest);
  const product = (source: string): VexProduct => {
    const subcomponents = (input.packages ?? [])
      .filter((p) => p.source === source)
      .map((p) => debianPurl(p, input.distro))
      .sort()
      .map((purl) => ({ '@id': purl }));
    return {
      '@id': productPurl,
      identifiers: { purl: productPurl },
      hashes: { 'sha-256': hexOf(input.image.digest) },
      ...(subcomponents.length > 0 ? { subcomponents } : {}),
    };
  };

  const statements = currentVerdicts(input.handled, input.waiting)
    .sort((a, b) => cmp(a.advisory.id, b.advisory.id) || cmp(a.advisory.source, b.advisory.source))
    .map((v) => toStatement(v, product(v.advisory.source)));

  const body = { author: input.author, timestamp: input.timestamp, version: 1, tooling: 'tempered', statements };
  return {
    '@context': OPENVEX_CONTEXT,
    // Content-derived: the same verdicts for the same image are the same document.
    '@id': `https://tempered.dev/vex/${hexOf(sha256Digest(canonicalJson({ product: productPurl, ...body })))}`,
    ...body,
  };
}

type Verdict =
  | { kind: 'handled'; advisory: HandledAdvisory['advisory']; entry: HandledAdvisory }
  | { kind: 'waiting'; advisory: WaitingAdvisory['advisory']; entry: WaitingAdvisory };

/**
 * One verdict per (advisory, source package): an advisory still waiting is
 * under investigation whatever an older cycle said; otherwise the most
 * recent handled verdict wins (handled history can hold an advisory twice).
 */
function currentVerdicts(handled: readonly HandledAdvisory[], waiting: readonly WaitingAdvisory[]): Verdict[] {
  const byKey = new Map<string, Verdict>();
  for (const entry of [...handled].sort((a, b) => cmp(a.at, b.at))) {
    byKey.set(keyOf(entry.advisory), { kind: 'handled', advisory: entry.advisory, entry });
  }
  for (const entry of waiting) byKey.set(keyOf(entry.advisory), { kind: 'waiting', advisory: entry.advisory, entry });
  return [...byKey.values()];
}

const keyOf = (a: { id: string; source: string }) => `${a.id}\u0000${a.source}`;

function toStatement(v: Verdict, product: VexProduct): VexStatement {
  const vulnerability = { name: v.advisory.id, ...(v.advisory.aliases.length > 0 ? { aliases: [...v.advisory.aliases].sort() } : {}) };
  const base = { vulnerability, products: [product] };
  if (v.kind === 'waiting') {
    const installed = v.entry.installedVersion ? ` (installed ${v.advisory.source} ${v.entry.installedVersion})` : '';
    return { ...base, timestamp: v.entry.since, status: 'under_investigation', status_notes: `${v.entry.why}${installed}` };
  }
  const verdict = v.entry.verdict;
  switch (verdict.status) {
    case 'fixed':
      return {
        ...base,
        timestamp: v.entry.at,
        status: 'fixed',
        status_notes: `Fixed in ${v.advisory.source} ${verdict.version}; the image was rebuilt with it in patch cycle ${verdict.inCycle}.`,
      };
    case 'not_affected':
      return { ...base, timestamp: v.entry.at, status: 'not_affected', justification: verdict.justification, impact_statement: verdict.detail };
    case 'under_investigation':
      return { ...base, timestamp: v.entry.at, status: 'under_investigation', status_notes: verdict.detail };
  }
}

/** Statement counts by status, read from any OpenVEX predicate (for verification reports). */
export function vexStatusCounts(predicate: unknown): Record<VexStatus, number> {
  const counts: Record<VexStatus, number> = { not_affected: 0, affected: 0, fixed: 0, under_investigation: 0 };
  const statements = (predicate as { statements?: unknown }).statements;
  if (!Array.isArray(statements)) return counts;
  for (const s of statements) {
    const status = (s as { status?: unknown }).status;
    if (typeof status === 'string' && (VEX_STATUSES as readonly string[]).includes(status)) counts[status as VexStatus]++;
  }
  return counts;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
