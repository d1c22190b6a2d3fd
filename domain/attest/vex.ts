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
import { canonicalJson, sha256Digest, hexOf } from '../digest';
import { AttestationInputError } from './errors';
import { debianPurl, ociPurl } from './purl';
import type { VexRecord } from './vexRecords';

export { VEX_RECORD_LIMITS, type VexRecord, vexRecords } from './vexRecords';

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
  records: readonly VexRecord[];
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

  const statements = [...input.records]
    .sort((a, b) => cmp(a.id, b.id) || cmp(a.source, b.source))
    .map((r) => toStatement(r, product(r.source)));

  const body = { author: input.author, timestamp: input.timestamp, version: 1, tooling: 'tempered', statements };
  return {
    '@context': OPENVEX_CONTEXT,
    // Content-derived: the same verdicts for the same image are the same document.
    '@id': `https://tempered.dev/vex/${hexOf(sha256Digest(canonicalJson({ product: productPurl, ...body })))}`,
    ...body,
  };
}

function toStatement(r: VexRecord, product: VexProduct): VexStatement {
  const vulnerability = { name: r.id, ...(r.aliases?.length ? { aliases: [...r.aliases].sort() } : {}) };
  const base = { vulnerability, products: [product], timestamp: r.at };
  switch (r.status) {
    case 'fixed':
      return { ...base, status: 'fixed', status_notes: `Fixed in ${r.source} ${r.version ?? ''}; the image was rebuilt with it in patch cycle ${r.cycle ?? '?'}.` };
    case 'not_affected':
      return { ...base, status: 'not_affected', ...(r.justification ? { justification: r.justification } : {}), ...(r.note ? { impact_statement: r.note } : {}) };
    case 'under_investigation': {
      const installed = r.version ? ` (installed ${r.source} ${r.version})` : '';
      return { ...base, status: 'under_investigation', status_notes: `${r.note ?? ''}${installed}` };
    }
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
