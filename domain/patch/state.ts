/**
 * What an image's patch workflow knows, as the `state` query returns it and
 * as continue-as-new carries it. Types and pure helpers only: shared by the
 * workflow, the CLI and the monitor.
 */
import type { Advisory } from '../advisory/record';
import type { ImageRef } from '../image';

export const PATCH_PHASES = [
  'idle', 'waiting-for-fix', 'resolving', 'building', 'testing', 'scanning', 'signing', 'publishing', 'cascading', 'failed', 'paused',
] as const;
export type PatchPhase = (typeof PATCH_PHASES)[number];

export type CycleReason =
  | { kind: 'initial' }
  | { kind: 'advisories'; ids: string[] }
  | { kind: 'rebuild'; by: string; note?: string }
  | { kind: 'upstream'; packages: string[] }
  /** `replyTo`: the cascade children waiting for the cycle that builds on this base. */
  | { kind: 'base-changed'; baseDigest: string; replyTo?: string[] }
  | { kind: 'retry'; of: number }
  | { kind: 'rollback'; digest: string; by: string; reason: string };

/** How an advisory ended up for this image (the VEX statements come from here). */
export type AdvisoryVerdict =
  | { status: 'fixed'; version: string; inCycle: number }
  | { status: 'not_affected'; justification: 'component_not_present' | 'vulnerable_code_not_present'; detail: string }
  | { status: 'under_investigation'; detail: string };

export interface HandledAdvisory {
  advisory: Advisory;
  verdict: AdvisoryVerdict;
  at: string;
}

export interface WaitingAdvisory {
  advisory: Advisory;
  /** Why it cannot be patched yet: no fixed version, or the archive does not offer it. */
  why: string;
  installedVersion?: string;
  since: string;
}

export interface PublishedImage {
  digest: string;
  tag: string;
  reference: string;
  lockDigest: string;
  cycle: number;
  at: string;
  baseDigest?: string;
}

export type CycleOutcome = 'published' | 'up-to-date' | 'unchanged' | 'failed' | 'waiting-for-fix' | 'superseded' | 'rolled-back';

export interface CycleRecord {
  number: number;
  reasons: CycleReason[];
  startedAt: string;
  finishedAt?: string;
  outcome?: CycleOutcome;
  lockDigest?: string;
  digest?: string;
  previousDigest?: string;
  /** Upstream changes the cycle took in: package old -> new. */
  changes?: string[];
  failure?: FailureRecord;
  cascade?: CascadeProgress;
}

export interface FailureRecord {
  stage: PatchPhase;
  activity: string;
  type: string;
  message: string;
  at: string;
}

export interface CascadeProgress {
  baseDigest: string;
  total: number;
  done: number;
  failed: string[];
  running: string[];
}

export interface Rejection {
  at: string;
  reason: string;
  id?: string;
}

export interface PatchState {
  image: ImageRef;
  phase: PatchPhase;
  paused?: { reason: string; by: string; at: string };
  published?: PublishedImage;
  /** Advisories queued for the next cycle. */
  pending: Advisory[];
  waiting: WaitingAdvisory[];
  handled: HandledAdvisory[];
  rejected: Rejection[];
  cycles: CycleRecord[];
  current?: CycleRecord;
  failure?: FailureRecord;
  /** Reasons queued for the next cycle besides advisories. */
  requests: CycleReason[];
  nextCycle: number;
  /** The base digest a customization is built on (custom images only). */
  baseDigest?: string;
}

/** Bounded so continue-as-new payloads stay small however long the image lives. */
export const KEEP_CYCLES = 25;
export const KEEP_HANDLED = 300;
export const KEEP_REJECTED = 20;

export function pendingIds(state: Pick<PatchState, 'pending' | 'waiting'>): string[] {
  return [...new Set([...state.pending.map((a) => a.id), ...state.waiting.map((w) => w.advisory.id)])].sort();
}

/** One line for the Temporal UI and the CLI: "base:bookworm runtime - building for CVE-2025-1234 (2 pending)". */
export function describeState(state: PatchState, imageLabel: string): string {
  const cycle = state.current;
  const advisoryIds = cycle?.reasons.flatMap((r) => (r.kind === 'advisories' ? r.ids : [])) ?? [];
  const why = advisoryIds.length ? ` for ${advisoryIds.slice(0, 3).join(', ')}${advisoryIds.length > 3 ? ` +${advisoryIds.length - 3}` : ''}` : '';
  const pending = pendingIds(state).length;
  const cascade = cycle?.cascade ? ` ${cycle.cascade.done}/${cycle.cascade.total}` : '';
  const failure = state.phase === 'failed' && state.failure ? `: ${state.failure.activity} ${state.failure.type}` : '';
  return `${imageLabel} - ${state.phase}${cascade}${why}${failure}${pending ? ` (${pending} pending)` : ''}`;
}
