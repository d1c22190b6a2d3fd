/**
 * What an image's patch workflow knows, as the `state` query returns it and
 * as continue-as-new carries it. Types and pure helpers only: shared by the
 * workflow, the CLI and the monitor.
 */
import type { Advisory } from '../advisory/record';
import type { ImageRef } from '../image';
import type { Architecture } from '../platform';

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
  /** On-call allowed this cycle to resolve packages older than the published image has (a withdrawn update). */
  | { kind: 'downgrade-allowed'; by: string; reason: string }
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
  /** When this image's workflow first received the advisory (absent for verdicts recorded before it was kept). */
  learnedAt?: string;
  /** fixed: when the publish that carries the fix moved the tag (the end of time to fix). */
  publishedAt?: string;
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
  /** `<tag>-<YYYYMMDD>.<cycle>`, which never moves (absent after a rollback, and for publishes before unique tags). */
  uniqueTag?: string;
  reference: string;
  lockDigest: string;
  cycle: number;
  at: string;
  baseDigest?: string;
}

export type CycleOutcome = 'published' | 'up-to-date' | 'unchanged' | 'failed' | 'waiting-for-fix' | 'superseded' | 'rolled-back' | 'base-refused';

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
  /** An image of several architectures: each platform image, its digest once built (`digest` is then the index). */
  platforms?: { architecture: Architecture; digest?: string }[];
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
  /** `<customization>: <why>` for each one that did not get the new base and will not by itself (failed, refused, timed out): a rebuild of the base runs them again. */
  failed: string[];
  running: string[];
  /** `<customization>: <why>` for each paused or failed one: it builds on the newest base when resumed or retried. */
  deferred?: string[];
  /** Customizations not started because a newer base digest superseded this cascade (its own cascade rebuilds them). */
  superseded?: string[];
}

/** The cascade of the image's latest publish, run by its own coordinator workflow while the image patches on. */
export interface CascadeState extends CascadeProgress {
  /** The cycle that published `baseDigest`. */
  cycle: number;
  /** The coordinator's workflow id (`cascade:<name>:<variant>:<digest12>`). */
  coordinator: string;
  /** The coordinator ended (every customization answered, or a newer base superseded it). */
  finished?: boolean;
}

/** Customizations that did not get the cascade's base: the failed, the deferred and the superseded. */
export function missedBase(progress: CascadeProgress): string[] {
  return [...progress.failed, ...(progress.deferred ?? []), ...(progress.superseded ?? []).map((name) => `${name}: superseded by a newer base`)];
}

/** A cascade reply the workflow still has to send (sent by its main loop, so no handler fires and forgets). */
export interface OutgoingReply {
  to: string;
  reply: { outcome: string; digest?: string; detail?: string };
}

/** The cycle being run: its record, and the advisories it was started for (carried while it waits for a retry). */
export interface RunningCycle extends CycleRecord {
  advisories: Advisory[];
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
  /** The last KEEP_REJECTED refused signals (reasons bounded, never the payload). */
  rejected: Rejection[];
  /** How many signals were refused over the image's life (rejected keeps only the last few). */
  rejectedCount?: number;
  cycles: CycleRecord[];
  current?: RunningCycle;
  failure?: FailureRecord;
  /** On-call asked to run the failed cycle again (carried: the failed run may continue as new before it runs). */
  retryRequested?: boolean;
  /** Cascade children waiting for the running (or failed) cycle's result. */
  replyTo?: string[];
  /** Replies to send, oldest first. */
  outbox?: OutgoingReply[];
  /** The cascade of the latest publish (catalog images). */
  cascade?: CascadeState;
  /** Reasons queued for the next cycle besides advisories. */
  requests: CycleReason[];
  nextCycle: number;
  /** The base digest a customization is built on (custom images only). */
  baseDigest?: string;
  /**
   * The newest archive state trusted, per suite (`<archive> <suite>` -> Release Date): a resolve from
   * an older one is refused (a replayed archive). Durable here, so every worker knows it.
   */
  trustedReleases?: Record<string, string>;
  /** `<id> <source>` -> when the advisory was first received, for the ones not handled yet (moved onto the verdict). */
  learnedAt?: Record<string, string>;
}

/** At most this many `learnedAt` entries are kept (the oldest go first): the queue budget holds far fewer. */
export const KEEP_LEARNED = 1000;
export const learnedKey = (advisory: Pick<Advisory, 'id' | 'source'>) => `${advisory.id} ${advisory.source}`;

/** Bounded so continue-as-new payloads stay small however long the image lives. */
export const KEEP_CYCLES = 25;
export const KEEP_HANDLED = 300;
export const KEEP_REJECTED = 20;

/**
 * Byte budgets of what continue-as-new carries (Temporal refuses a payload
 * over 2 MiB with PAYLOADS_TOO_LARGE, and the run cannot close): the whole
 * carried state, and the advisories queued in it (pending and waiting, which
 * must never be dropped, so new ones are refused past this).
 */
export const CARRIED_STATE_BYTES = 1024 * 1024;
export const QUEUED_ADVISORY_BYTES = 512 * 1024;
/** A refusal's reason: each `<field>: <problem>` part and the whole stay this short. */
export const REJECTION_PART_CHARS = 300;
export const REJECTION_REASON_CHARS = 2000;

/** UTF-8 length of a string, without TextEncoder (workflow code uses this too). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // A surrogate pair (4 bytes) is two code units of 2 bytes each.
    bytes += code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code <= 0xdfff) ? 2 : 3;
  }
  return bytes;
}

/** Size of a value as a JSON payload. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value) ?? 'null');
}

/**
 * A refusal reason small enough to keep and carry: every `<field>: <problem>`
 * part (joined with "; ") keeps its start, so the fields it names survive.
 */
export function boundReason(reason: string): string {
  const parts = reason.split('; ').map((part) => (part.length > REJECTION_PART_CHARS ? `${part.slice(0, REJECTION_PART_CHARS)}…` : part));
  let text = '';
  for (const [i, part] of parts.entries()) {
    const next = text ? `${text}; ${part}` : part;
    if (next.length > REJECTION_REASON_CHARS) return `${text}; … ${parts.length - i} more`;
    text = next;
  }
  return text;
}

/**
 * The state as continue-as-new may carry it: within `maxBytes`, dropping the
 * oldest history (handled advisories, then cycles, then rejections) first.
 * Queued work (pending, waiting, requests) is never dropped; its own budgets
 * keep it small. Pure and deterministic: the same state trims the same way.
 */
export function fitForCarry(state: PatchState, maxBytes = CARRIED_STATE_BYTES): { state: PatchState; dropped: number } {
  let total = jsonBytes(state);
  if (total <= maxBytes) return { state, dropped: 0 };
  const trimmed: PatchState = { ...state, handled: [...state.handled], cycles: [...state.cycles], rejected: [...state.rejected] };
  let dropped = 0;
  for (const list of [trimmed.handled, trimmed.cycles, trimmed.rejected] as unknown[][]) {
    // Keep the newest entry of each list: the last cycle and verdict are what a reader looks for first.
    while (total > maxBytes && list.length > 1) {
      total -= jsonBytes(list.shift()) + 1;
      dropped++;
    }
  }
  return { state: trimmed, dropped };
}

/** The advisory ids a cycle runs for. */
export function cycleAdvisoryIds(cycle: CycleRecord | undefined): string[] {
  return cycle?.reasons.flatMap((r) => (r.kind === 'advisories' ? r.ids : [])) ?? [];
}

/** Advisories queued for the next cycle or waiting for a fix. */
function queuedIds(state: Pick<PatchState, 'pending' | 'waiting'>): string[] {
  return [...new Set([...state.pending.map((a) => a.id), ...state.waiting.map((w) => w.advisory.id)])].sort();
}

/**
 * The advisories the image has not closed: queued, in the running cycle (its
 * fix is not published before the cycle ends) or waiting for a fix. This is
 * what PendingAdvisories and `tempered status` show, so an image never drops
 * out of `PendingAdvisories = 'CVE-…'` while it is being rebuilt for that CVE.
 */
export function openAdvisoryIds(state: Pick<PatchState, 'pending' | 'waiting' | 'current'>): string[] {
  return [...new Set([...queuedIds(state), ...cycleAdvisoryIds(state.current)])].sort();
}

/** One line for the Temporal UI and the CLI: "base:bookworm runtime - building for CVE-2025-1234 (2 pending)". */
export function describeState(state: PatchState, imageLabel: string): string {
  const cycle = state.current;
  const advisoryIds = cycleAdvisoryIds(cycle);
  const why = advisoryIds.length ? ` for ${advisoryIds.slice(0, 3).join(', ')}${advisoryIds.length > 3 ? ` +${advisoryIds.length - 3}` : ''}` : '';
  const pending = queuedIds(state).length;
  // The old inline cascade (histories before the coordinator) ran inside the cycle; the coordinator runs beside it.
  const inline = cycle?.cascade ? ` ${cycle.cascade.done}/${cycle.cascade.total}` : '';
  const failure = state.phase === 'failed' && state.failure ? `: ${state.failure.activity} ${state.failure.type}` : '';
  const running = state.cascade && !state.cascade.finished ? `, cascading ${state.cascade.done}/${state.cascade.total}` : '';
  return `${imageLabel} - ${state.phase}${platformProgress(state.phase, state.current?.platforms)}${inline}${why}${failure}${pending ? ` (${pending} pending)` : ''}${running}`;
}

/** While a multi-platform image builds: ` arm64 (amd64 built)`, the platforms still building and those done. */
export function platformProgress(phase: PatchPhase | string, platforms: CycleRecord['platforms']): string {
  if (phase !== 'building' || !platforms) return '';
  const building = platforms.filter((p) => !p.digest).map((p) => p.architecture);
  const built = platforms.filter((p) => p.digest).map((p) => p.architecture);
  return ` ${building.join(', ')}${built.length ? ` (${built.join(', ')} built)` : ''}`;
}

/** Architectures of the running cycle's platform images not built yet (none for single-platform images). */
export function platformsStillBuilding(state: PatchState): Architecture[] {
  return state.current?.platforms?.filter((p) => !p.digest).map((p) => p.architecture) ?? [];
}

/**
 * A dev image whose cycle waits only for builds of architectures `host` is
 * not (run under emulation: its maintainer scripts take minutes there).
 * Runtime images of any architecture are package bytes: never this.
 */
export function waitsOnlyForEmulatedBuilds(state: PatchState, host: Architecture | undefined): boolean {
  if (state.image.kind !== 'catalog' || state.image.variant !== 'dev') return false;
  const left = platformsStillBuilding(state);
  return left.length > 0 && left.every((a) => a !== host);
}
