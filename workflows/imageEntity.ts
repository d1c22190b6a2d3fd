/**
 * One image's patch workflow as an entity: its state, what each message
 * does to it (the rules are domain/patch/queue.ts), and the few effects a
 * handler may have: a search-attribute upsert (projection.ts) and a reply
 * queued for the main loop to send. Handlers never await: the main loop
 * (imageWorkflow.ts) sends replies and runs cycles (patchCycle.ts).
 */
import * as wf from '@temporalio/workflow';
import { displayName, DigestSchema, type ImageRef } from '../domain/image';
import {
  hasWork, initialState, queueAdvisory, queueBaseChange, queueRebuild, queueUpstream, recordRejection, restingPhase, rollbackRefusal,
} from '../domain/patch/queue';
import { fitForCarry, type OutgoingReply, type PatchPhase, type PatchState } from '../domain/patch/state';
import type { Queues } from './activityOptions';
import { cascadeResultSignal, checkAdvisorySignal, checkCascadeProgressSignal, checkBaseChangedSignal, checkRequester, checkUpstreamSignal, SIGNAL_LIMITS, UPDATE_LIMITS } from './messages';
import { Patch } from './patches';
import { Projection } from './projection';
import { signalWorkflow } from './signalOut';

export interface PatchSettings {
  /** Advisories arriving within this window after the first one join the same cycle. */
  debounceSeconds: number;
  /** How many customized images rebuild at once during a cascade. */
  cascadeConcurrency: number;
  /** Continue-as-new once a run's history passes this many events (the server suggests it at 4,096). */
  historyLimit: number;
  /**
   * ... or this many bytes: signals may be 32 KiB each, so a few hundred make a run too large to fetch
   * (a client reads at most 4 MiB of history per page), long before the event count says so.
   */
  historyBytesLimit: number;
  queues: Queues;
}

export const DEFAULT_SETTINGS: Omit<PatchSettings, 'queues'> = { debounceSeconds: 10, cascadeConcurrency: 4, historyLimit: 1500, historyBytesLimit: 2 * 1024 * 1024 };

const now = () => new Date().toISOString();

export class ImageEntity {
  readonly state: PatchState;
  private readonly projection: Projection;
  private readonly boundHistoryBytes: boolean;
  private readonly inEffect: Set<string>;

  constructor(
    readonly image: ImageRef,
    readonly settings: PatchSettings,
    carried?: PatchState,
    patchesInEffect: readonly string[] = [],
  ) {
    this.state = carried ?? initialState(image);
    this.projection = new Projection(image);
    this.inEffect = new Set(patchesInEffect);
    this.boundHistoryBytes = this.patched(Patch.historyBytesLimit);
  }

  /**
   * wf.patched, once per chain of runs. Every run is one cycle, and each patch
   * a run checks costs it two events (the marker and the TemporalChangeVersion
   * upsert sdk-core adds): three patches on a plain cycle's path were 6 of its
   * 61 events. A patch in effect in a run stays in effect in the runs it
   * continues as, so continue-as-new carries the ids (ImagePatchInput.patches)
   * and a run started with an id does not check it again. A run started
   * without the list (before this, or the first run) checks as before, so
   * every recorded history replays unchanged. The price: a history recorded
   * by this code does not replay on code older than it (a deploy rolled back
   * past it), which a run without the marker would have to decide anew.
   */
  patched(id: string): boolean {
    if (this.inEffect.has(id)) return true;
    const inEffect = wf.patched(id);
    if (inEffect) this.inEffect.add(id);
    return inEffect;
  }

  /** The patch ids in effect, for the next run. */
  patchesInEffect(): string[] {
    return [...this.inEffect].sort();
  }

  get label(): string {
    return displayName(this.image);
  }

  // ---------------------------------------------------------------- what the main loop asks

  hasWork(): boolean {
    return hasWork(this.state);
  }

  hasReplies(): boolean {
    return (this.state.outbox?.length ?? 0) > 0;
  }

  shouldContinueAsNew(): boolean {
    const info = wf.workflowInfo();
    const tooLarge = this.boundHistoryBytes && info.historySize > this.settings.historyBytesLimit;
    return info.continueAsNewSuggested || info.historyLength > this.settings.historyLimit || tooLarge;
  }

  /** What continue-as-new carries: the state within its byte budget (the oldest history goes first). */
  carried(): PatchState {
    const { state, dropped } = fitForCarry(this.state);
    if (dropped) wf.log.warn('carried state trimmed to its budget', { dropped });
    return state;
  }

  // ---------------------------------------------------------------- effects

  setPhase(phase: PatchPhase): void {
    this.state.phase = phase;
    this.announce();
  }

  announce(): void {
    this.projection.announce(this.state);
  }

  reject(reason: string, id?: unknown): void {
    const bounded = recordRejection(this.state, reason, id, now());
    wf.log.warn('signal rejected', { reason: bounded });
  }

  /** Queues replies for the main loop (the outbox is carried by continue-as-new). */
  queueReplies(replies: readonly OutgoingReply[]): void {
    if (replies.length) this.state.outbox = [...(this.state.outbox ?? []), ...replies];
  }

  /** Sends every queued reply, awaited (signalOut.ts: only a child that is gone is skipped). */
  async sendReplies(): Promise<void> {
    const outbox = this.state.outbox ?? [];
    this.state.outbox = undefined;
    await Promise.all(outbox.map(({ to, reply }) => signalWorkflow(to, cascadeResultSignal, { ...reply, image: this.label })));
  }

  // ---------------------------------------------------------------- signals

  /** Signal `advisory`: validated here too (raw `temporal workflow signal` bypasses the CLI); bad input is recorded, never thrown. */
  receiveAdvisory(payload: unknown): void {
    const checked = checkAdvisorySignal(payload);
    if (!checked.ok) return this.reject(checked.reason, (payload as { id?: unknown } | null)?.id);
    const refused = queueAdvisory(this.state, checked.value, now(), this.patched(Patch.queueBudgetWithCycle), this.image.kind === 'catalog' ? this.image.release : undefined);
    if (refused) return this.reject(refused, checked.value.id);
    this.announce();
  }

  /** Signal `upstream`: the monitor saw newer versions of packages this image has. */
  receiveUpstream(update: unknown): void {
    const checked = checkUpstreamSignal(update);
    if (!checked.ok) return this.reject(checked.reason);
    queueUpstream(this.state, checked.value, SIGNAL_LIMITS.packagesKept);
    this.announce();
  }

  /** Signal `baseChanged` (customizations): the base image has a new digest; optionally reply to a cascade child. */
  receiveBaseChanged(payload: unknown): void {
    const checked = checkBaseChangedSignal(payload);
    if (!checked.ok) return this.reject(checked.reason);
    const { replies, rejection } = queueBaseChange(this.state, this.image, checked.value, SIGNAL_LIMITS.waitingChildren);
    if (rejection) this.reject(rejection);
    if (this.patched(Patch.replyOutbox)) this.queueReplies(replies);
    else for (const { to, reply } of replies) void wf.getExternalWorkflowHandle(to).signal(cascadeResultSignal, { ...reply, image: this.label }).catch(() => undefined);
    this.announce();
  }

  /**
   * Signal `cascadeProgress`: a coordinator of this image's cascades reports.
   * The cycle that published its digest records it; only the latest
   * cascade's coordinator moves `state.cascade` (an older one was superseded).
   */
  receiveCascadeProgress(payload: unknown): void {
    const checked = checkCascadeProgressSignal(payload);
    if (!checked.ok) return this.reject(checked.reason);
    const { coordinator, progress, finished } = checked.value;
    for (const cycle of this.state.cycles) if (cycle.digest === progress.baseDigest && cycle.cascade?.baseDigest === progress.baseDigest) cycle.cascade = { ...progress };
    const cascade = this.state.cascade;
    if (cascade?.coordinator === coordinator && cascade.baseDigest === progress.baseDigest) {
      this.state.cascade = { ...cascade, ...progress, ...(finished ? { finished: true } : {}) };
    }
    this.announce();
  }

  // ---------------------------------------------------------------- updates (validators are synchronous and write nothing)

  validateRebuild(request: unknown): void {
    checkRequester(request, ['note']);
    if (this.state.paused) throw new Error(`${this.label} is paused (${this.state.paused.reason}); resume it first`);
    if (this.state.phase === 'failed') throw new Error(`${this.label} has a failed cycle; use retry`);
  }

  /** Update `rebuild`: answers with the number of the cycle that will do it. */
  requestRebuild(request: { by: string; note?: string }): { cycle: number; queuedBehind?: number } {
    queueRebuild(this.state, request, UPDATE_LIMITS.queuedRebuilds);
    this.announce();
    const running = this.state.current?.number;
    return running ? { cycle: this.state.nextCycle, queuedBehind: running } : { cycle: this.state.nextCycle };
  }

  validateRetry(request: unknown): void {
    checkRequester(request, ['allowDowngrade']);
    if (this.state.phase !== 'failed' || !this.state.current) throw new Error(`${this.label} has no failed cycle to retry (phase ${this.state.phase})`);
  }

  /** Update `retry`: re-runs the failed cycle from the start (its build is cached when nothing changed). */
  requestRetry(request: { by: string; allowDowngrade?: string }): { cycle: number; failedStage: string } {
    const current = this.state.current as NonNullable<PatchState['current']>;
    this.state.retryRequested = true;
    current.reasons.push({ kind: 'retry', of: current.number });
    if (request.allowDowngrade) current.reasons.push({ kind: 'downgrade-allowed', by: request.by, reason: request.allowDowngrade });
    wf.log.info('retry requested', { by: request.by, cycle: current.number });
    return { cycle: current.number, failedStage: this.state.failure?.stage ?? 'unknown' };
  }

  validatePause(request: unknown): void {
    checkRequester(request, ['reason']);
    if (this.state.paused) throw new Error(`${this.label} is already paused since ${this.state.paused.at} by ${this.state.paused.by}: ${this.state.paused.reason}`);
  }

  requestPause(request: { by: string; reason: string }): { pausedAt: string; cycleInFlight?: number } {
    this.state.paused = { by: request.by, reason: request.reason, at: now() };
    if (!this.state.current) this.setPhase('paused');
    return { pausedAt: this.state.paused.at, cycleInFlight: this.state.current?.number };
  }

  validateResume(request: unknown): void {
    checkRequester(request);
    if (!this.state.paused) throw new Error(`${this.label} is not paused`);
  }

  requestResume(_request: { by: string }): { resumedAt: string; queued: number } {
    this.state.paused = undefined;
    if (!this.state.current) this.setPhase(restingPhase(this.state));
    return { resumedAt: now(), queued: this.state.pending.length + this.state.requests.length };
  }

  validateRollback(request: { digest: string }): void {
    checkRequester(request, ['reason']);
    if (!DigestSchema.safeParse(request?.digest).success) throw new Error('digest must be sha256:<64 hex digits>');
    const refused = rollbackRefusal(this.state, this.label, request.digest);
    if (refused) throw new Error(refused);
  }

  /** Update `rollback`: queued as a cycle of its own that verifies the digest, then moves the tag; answers with its number. */
  requestRollback(request: { by: string; digest: string; reason: string }): { cycle: number } {
    this.state.requests.push({ kind: 'rollback', digest: request.digest, by: request.by, reason: request.reason });
    this.announce();
    return { cycle: this.state.nextCycle };
  }
}
