/**
 * The state and logic of one image's patch workflow. Deterministic code only:
 * everything that touches the world is an activity (activities/types.ts).
 *
 * Read `runCycle` top to bottom for what happens when an advisory arrives:
 * resolve -> build -> test -> scan -> sign -> publish -> cascade.
 */
import * as wf from '@temporalio/workflow';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { type Advisory, advisoryKey } from '../domain/advisory/record';
import { compareVersions } from '../domain/debian/version';
import { DigestSchema, displayName, type ImageRef } from '../domain/image';
import {
  type AdvisoryVerdict, boundReason, cycleAdvisoryIds, type CascadeProgress, type CycleRecord, describeState, type FailureRecord, fitForCarry, jsonBytes,
  KEEP_CYCLES, KEEP_HANDLED, KEEP_REJECTED, type PatchPhase, type PatchState, openAdvisoryIds, QUEUED_ADVISORY_BYTES,
} from '../domain/patch/state';
import {
  ImageNameKey, ImageVariantKey, PatchPhaseKey, PendingAdvisoriesKey, pendingAdvisoriesValue, PublishedDigestKey,
} from '../domain/patch/searchAttributes';
import type { ResolveResult } from '../activities/types';
import { ErrorType } from '../domain/patch/errors';
import { type Queues, stageActivities } from './activityOptions';
import { runCascade } from './cascade';
import {
  cascadeResultSignal, type CascadeReply, checkAdvisorySignal, checkBaseChangedSignal, checkRequester, checkUpstreamSignal, SIGNAL_LIMITS, UPDATE_LIMITS,
} from './messages';

export interface PatchSettings {
  /** Advisories arriving within this window after the first one join the same cycle. */
  debounceSeconds: number;
  /** How many customized images rebuild at once during a cascade. */
  cascadeConcurrency: number;
  /** Continue-as-new once a run's history passes this many events (the server suggests it at 4,096). */
  historyLimit: number;
  queues: Queues;
}

export const DEFAULT_SETTINGS: Omit<PatchSettings, 'queues'> = { debounceSeconds: 10, cascadeConcurrency: 4, historyLimit: 1500 };

type Stage = Extract<PatchPhase, 'resolving' | 'building' | 'testing' | 'scanning' | 'signing' | 'publishing' | 'cascading'>;

export class ImagePatcher {
  private readonly state: PatchState;
  private readonly acts: ReturnType<typeof stageActivities>;
  private retryRequested = false;
  /**
   * Cascade children waiting for the running cycle's result: those whose
   * base-changed request the cycle absorbed. Children whose request is still
   * queued wait in `state.requests` (carried by continue-as-new) for the cycle
   * that will build on their base, never for one building on an older base.
   */
  private replyTo: string[] = [];
  private announced?: { name: string; variant: string; phase: PatchPhase; pending: string[]; digest?: string };

  constructor(
    readonly image: ImageRef,
    readonly settings: PatchSettings,
    carried?: PatchState,
  ) {
    this.acts = stageActivities(settings.queues);
    this.state = carried ?? {
      image, phase: 'idle', pending: [], waiting: [], handled: [], rejected: [], cycles: [], requests: [], nextCycle: 1,
    };
    if (!carried) this.state.requests.push({ kind: 'initial' });
  }

  // ---------------------------------------------------------------- messages

  snapshot(): PatchState {
    return this.state;
  }

  /**
   * What continue-as-new carries: the state within its byte budget (the
   * oldest history goes first; queued work is bounded where it is received).
   */
  carried(): PatchState {
    const { state, dropped } = fitForCarry(this.state);
    if (dropped) wf.log.warn('carried state trimmed to its budget', { dropped });
    return state;
  }

  /** Signal `advisory`: validated here too (raw `temporal workflow signal` bypasses the CLI); bad input is recorded, never thrown. */
  receiveAdvisory(payload: unknown): void {
    const checked = checkAdvisorySignal(payload);
    if (!checked.ok) {
      this.reject(checked.reason, (payload as { id?: unknown } | null)?.id);
      return;
    }
    const advisory = checked.value;
    const key = advisoryKey(advisory);
    if (this.state.pending.some((a) => advisoryKey(a) === key)) return;
    if (this.state.current?.reasons.some((r) => r.kind === 'advisories') && this.inCurrentCycle(key)) return;
    if (this.state.handled.some((h) => advisoryKey(h.advisory) === key)) return;
    // A newer record for the same CVE and source supersedes the queued or waiting one.
    const sameIssue = (a: Advisory) => a.id === advisory.id && a.source === advisory.source;
    this.state.pending = this.state.pending.filter((a) => !sameIssue(a));
    this.state.waiting = this.state.waiting.filter((w) => !sameIssue(w.advisory) || advisoryKey(w.advisory) === key);
    if (advisory.status === 'not-affected') {
      this.handle(advisory, { status: 'not_affected', justification: 'vulnerable_code_not_present', detail: advisory.reason ?? 'the advisory says bookworm is not affected' });
      return;
    }
    this.state.waiting = this.state.waiting.filter((w) => advisoryKey(w.advisory) !== key);
    // Queued advisories ride every continue-as-new and are never dropped: past their budget, new ones are refused.
    const queued = jsonBytes(this.state.pending) + jsonBytes(this.state.waiting);
    if (queued + jsonBytes(advisory) > QUEUED_ADVISORY_BYTES) {
      this.reject(`(record): ${this.state.pending.length + this.state.waiting.length} advisories are queued (${queued} bytes); send it again once they are handled`, advisory.id);
      return;
    }
    this.state.pending.push(advisory);
    this.announce();
  }

  /**
   * Signal `upstream`: the monitor saw newer versions of packages this image has.
   * The lines only say why the cycle runs (it resolves the newest of everything):
   * all queued upstream changes are one request, one line per package, bounded.
   */
  receiveUpstream(update: unknown): void {
    const checked = checkUpstreamSignal(update);
    if (!checked.ok) return this.reject(checked.reason);
    const queued = this.state.requests.find((r) => r.kind === 'upstream');
    const lines = new Map<string, string>();
    for (const line of [...(queued?.kind === 'upstream' ? queued.packages : []), ...checked.value]) lines.set(line.split(' ')[0] as string, line);
    const packages = [...lines.values()].slice(0, SIGNAL_LIMITS.packagesKept);
    if (queued?.kind === 'upstream') queued.packages = packages;
    else this.state.requests.push({ kind: 'upstream', packages });
    this.announce();
  }

  /** Signal `baseChanged` (customizations): the base image has a new digest; optionally reply to a cascade child. */
  receiveBaseChanged(payload: unknown): void {
    const checked = checkBaseChangedSignal(payload);
    if (!checked.ok) return this.reject(checked.reason);
    const change = checked.value;
    const replyTo = change.replyTo ? [change.replyTo] : [];
    if (this.image.kind !== 'custom') {
      // A catalog image is built from the archive, not on a base: nothing to rebuild, and a waiting child hears so now.
      this.reject(`baseChanged: ${displayName(this.image)} is a catalog image; it has no base, so baseDigest ${change.baseDigest.slice(0, 19)}… changes nothing`);
      void this.reply({ outcome: 'refused', detail: `${displayName(this.image)} has no base` }, replyTo);
      return;
    }
    if (this.state.phase === 'failed') {
      // Built on after the on-call retry; tell the cascade now rather than holding its slot.
      this.state.baseDigest = change.baseDigest;
      void this.reply({ outcome: 'deferred', detail: `${displayName(this.image)} is failed; it builds on this base after a retry` }, replyTo);
      return;
    }
    if (this.state.current && this.state.baseDigest === change.baseDigest) {
      // The running cycle builds on this base already (a repeated notify): its result answers this child too.
      this.replyTo = unique([...this.replyTo, ...replyTo]);
      return;
    }
    // A newer base supersedes a queued one: one build, and every child waiting for either gets its result.
    const waiting = this.state.requests.flatMap((r) => (r.kind === 'base-changed' ? (r.replyTo ?? []) : []));
    let all = unique([...waiting, ...replyTo]);
    if (all.length > SIGNAL_LIMITS.waitingChildren) {
      // Carried by continue-as-new, so bounded: a child past the limit hears now instead of holding its slot.
      all = unique(waiting);
      void this.reply({ outcome: 'deferred', detail: `${waiting.length} cascades already wait for ${displayName(this.image)}` }, replyTo);
    }
    this.state.requests = this.state.requests.filter((r) => r.kind !== 'base-changed');
    this.state.requests.push({ kind: 'base-changed', baseDigest: change.baseDigest, ...(all.length ? { replyTo: all } : {}) });
    this.announce();
  }

  validateRebuild(request: unknown): void {
    checkRequester(request, ['note']);
    if (this.state.paused) throw new Error(`${displayName(this.image)} is paused (${this.state.paused.reason}); resume it first`);
    if (this.state.phase === 'failed') throw new Error(`${displayName(this.image)} has a failed cycle; use retry`);
  }

  /** Update `rebuild`: answers with the number of the cycle that will do it. */
  requestRebuild(request: { by: string; note?: string }): { cycle: number; queuedBehind?: number } {
    // All queued rebuilds join the next cycle: keep the newest few (who asked and why), not every one of a flood.
    const rebuilds = this.state.requests.filter((r) => r.kind === 'rebuild');
    if (rebuilds.length >= UPDATE_LIMITS.queuedRebuilds) {
      const oldest = rebuilds[0];
      this.state.requests = this.state.requests.filter((r) => r !== oldest);
    }
    this.state.requests.push({ kind: 'rebuild', by: request.by, note: request.note });
    this.announce();
    const running = this.state.current?.number;
    return running ? { cycle: this.state.nextCycle, queuedBehind: running } : { cycle: this.state.nextCycle };
  }

  validateRetry(request: unknown): void {
    checkRequester(request, ['allowDowngrade']);
    if (this.state.phase !== 'failed' || !this.state.current) throw new Error(`${displayName(this.image)} has no failed cycle to retry (phase ${this.state.phase})`);
  }

  /** Update `retry`: re-runs the failed cycle from the start (its build is cached when nothing changed). */
  requestRetry(request: { by: string; allowDowngrade?: string }): { cycle: number; failedStage: string } {
    this.retryRequested = true;
    const current = this.state.current as CycleRecord;
    current.reasons.push({ kind: 'retry', of: current.number });
    if (request.allowDowngrade) current.reasons.push({ kind: 'downgrade-allowed', by: request.by, reason: request.allowDowngrade });
    wf.log.info('retry requested', { by: request.by, cycle: current.number });
    return { cycle: current.number, failedStage: this.state.failure?.stage ?? 'unknown' };
  }

  validatePause(request: unknown): void {
    checkRequester(request, ['reason']);
    if (this.state.paused) throw new Error(`${displayName(this.image)} is already paused since ${this.state.paused.at} by ${this.state.paused.by}: ${this.state.paused.reason}`);
  }

  requestPause(request: { by: string; reason: string }): { pausedAt: string; cycleInFlight?: number } {
    this.state.paused = { by: request.by, reason: request.reason, at: now() };
    if (!this.state.current) this.setPhase('paused');
    return { pausedAt: this.state.paused.at, cycleInFlight: this.state.current?.number };
  }

  validateResume(request: unknown): void {
    checkRequester(request);
    if (!this.state.paused) throw new Error(`${displayName(this.image)} is not paused`);
  }

  requestResume(_request: { by: string }): { resumedAt: string; queued: number } {
    this.state.paused = undefined;
    if (!this.state.current) this.setPhase(this.restingPhase());
    return { resumedAt: now(), queued: this.state.pending.length + this.state.requests.length };
  }

  validateRollback(request: { digest: string }): void {
    checkRequester(request, ['reason']);
    const label = displayName(this.image);
    if (this.state.current) throw new Error(`${label} is running cycle ${this.state.current.number} (${this.state.phase}); roll back when it has ended`);
    if (!DigestSchema.safeParse(request?.digest).success) throw new Error('digest must be sha256:<64 hex digits>');
    if (request.digest === this.state.published?.digest) throw new Error(`${request.digest} is already the published digest of ${label}`);
    if (!this.publishedBefore(request.digest)) {
      const known = unique(this.state.cycles.flatMap((c) => (c.outcome === 'published' || c.outcome === 'rolled-back') && c.digest ? [c.digest] : []));
      throw new Error(`${label} never published ${request.digest} (in its last ${this.state.cycles.length} cycles: ${known.join(', ') || 'none'})`);
    }
  }

  /** Update `rollback`: queued as a cycle of its own that verifies the digest, then moves the tag; answers with its number. */
  requestRollback(request: { by: string; digest: string; reason: string }): { cycle: number } {
    this.state.requests.push({ kind: 'rollback', digest: request.digest, by: request.by, reason: request.reason });
    this.announce();
    return { cycle: this.state.nextCycle };
  }

  private publishedBefore(digest: string) {
    return this.state.cycles.find((c) => c.digest === digest && (c.outcome === 'published' || c.outcome === 'rolled-back'));
  }

  // ---------------------------------------------------------------- main loop

  /** Paused images patch nothing, but an on-call rollback still runs (pause, then roll back, holds it). */
  hasWork(): boolean {
    if (this.state.requests.some((r) => r.kind === 'rollback')) return true;
    return !this.state.paused && (this.state.pending.length > 0 || this.state.requests.length > 0);
  }

  shouldContinueAsNew(): boolean {
    const info = wf.workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > this.settings.historyLimit;
  }

  /**
   * Lets a burst of advisories gather, unless this is the first build, an
   * explicit request, or a new base: a cascade child holds one slot of the
   * base's bounded cascade while it waits, and the base's own cycle already
   * gathered the advisories that made it.
   */
  async debounce(): Promise<void> {
    const urgent = this.state.requests.some((r) => r.kind === 'initial' || r.kind === 'rebuild' || r.kind === 'base-changed' || r.kind === 'rollback');
    if (!urgent && this.settings.debounceSeconds > 0) await wf.sleep(this.settings.debounceSeconds * 1000);
  }

  /** One patch cycle, retried by on-call after a failure until it completes. */
  async runCycle(): Promise<void> {
    const cycle = this.beginCycle();
    for (;;) {
      try {
        cycle.outcome = await this.patch(cycle);
        break;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        this.recordFailure(cycle, err);
        await this.reply({ outcome: 'failed', detail: this.state.failure?.message ?? 'failed' });
        await wf.condition(() => this.retryRequested);
        this.retryRequested = false;
        this.state.failure = undefined;
        this.absorbQueued(cycle);
      }
    }
    this.finishCycle(cycle);
    // Awaited: the children hear before this run continues as new.
    await this.reply({ outcome: cycle.outcome ?? 'unchanged', digest: this.state.published?.digest, ...this.builtOn() });
  }

  // ---------------------------------------------------------------- the cycle

  private async patch(cycle: CycleRecord & { advisories: Advisory[] }): Promise<CycleRecord['outcome']> {
    const rollback = cycle.reasons.find((r) => r.kind === 'rollback');
    if (rollback?.kind === 'rollback') return this.rollback(cycle, rollback.digest);
    // Histories recorded before this check replay without it.
    if (wf.patched('verify-base-change') && !(await this.acceptBaseChange(cycle))) return 'base-refused';
    const published = this.state.published;

    // 1. resolve: the exact package set this cycle would build, and what the advisories need.
    const latest = cycle.reasons.some((r) => r.kind === 'advisories' || r.kind === 'upstream' || r.kind === 'rebuild');
    const resolved = await this.stage('resolving', 'resolveLock', () =>
      this.acts.resolveLock.executeWithOptions(this.summary(this.acts.options.network, 'resolve'), [{
        image: this.image, mode: latest ? 'latest' : 'locked', previousLockDigest: published?.lockDigest, sources: unique(cycle.advisories.map((a) => a.source)),
        ...(this.state.baseDigest ? { baseDigest: this.state.baseDigest } : {}),
        ...(this.state.trustedReleases ? { trustedReleases: this.state.trustedReleases } : {}),
        ...(cycle.reasons.some((r) => r.kind === 'downgrade-allowed') ? { allowDowngrade: true } : {}),
      }]),
    );
    if (resolved.trustedReleases) this.state.trustedReleases = resolved.trustedReleases;
    // Customizations: a first cycle before any cascade resolves on the digest the base's tag names now; hold on to it, so
    // build, provenance and `published.baseDigest` all name the same base, and the next cascade compares against it.
    if (resolved.baseDigest && this.state.baseDigest === undefined) this.state.baseDigest = resolved.baseDigest;
    cycle.lockDigest = resolved.lockDigest;
    cycle.changes = [...resolved.changes, ...resolved.unavailable.map((u) => `${u} no longer offered by the archive`)];
    const fixable = this.triage(cycle.advisories, resolved, cycle.number);

    const baseDigest = this.state.baseDigest;
    const mustBuild = !published || resolved.lockDigest !== published.lockDigest || published.baseDigest !== baseDigest ||
      cycle.reasons.some((r) => r.kind === 'rebuild');
    if (!mustBuild) {
      this.markFixed(fixable, resolved, published.cycle);
      return this.state.waiting.length && fixable.length === 0 && cycle.advisories.length ? 'waiting-for-fix' : 'up-to-date';
    }

    // 2. build from the lock (reproducible: an unchanged lock gives the published digest back).
    const built = await this.stage('building', 'buildImage', () =>
      this.acts.buildImage.executeWithOptions(this.summary(this.acts.options.build, 'build'), [{ image: this.image, lockDigest: resolved.lockDigest, baseDigest }]),
    );
    cycle.digest = built.digest;
    cycle.previousDigest = published?.digest;
    if (published && built.digest === published.digest) {
      this.markFixed(fixable, resolved, published.cycle);
      return 'unchanged';
    }

    // 3. test: policy and definition tests in containers; a failure is non-retryable and waits for on-call.
    const tested = await this.stage('testing', 'testImage', () =>
      this.acts.testImage.executeWithOptions(this.summary(this.acts.options.container, 'test'), [{ image: this.image, digest: built.digest }]),
    );

    // 4. scan: the built image's own SBOM decides which advisories it fixes.
    const scanned = await this.stage('scanning', 'scanImage', () =>
      this.acts.scanImage.executeWithOptions(this.summary(this.acts.options.container, 'scan'), [{ image: this.image, digest: built.digest, advisories: fixable }]),
    );
    for (const advisory of fixable) {
      const verdict = scanned.verdicts.find((v) => v.key === advisoryKey(advisory));
      if (verdict?.fixed) this.handle(advisory, { status: 'fixed', version: verdict.installedSourceVersion ?? advisory.fixedVersion ?? '', inCycle: cycle.number });
      else if (!verdict?.present) this.handle(advisory, { status: 'not_affected', justification: 'component_not_present', detail: `${advisory.source} is not in the image` });
      else this.wait(advisory, `built image still has ${advisory.source} ${verdict.installedSourceVersion}`, verdict.installedSourceVersion);
    }

    // 5. sign and attest (provenance, SBOM, VEX, test results), then 6. publish: the tag moves last.
    const info = wf.workflowInfo();
    await this.stage('signing', 'signImage', () =>
      this.acts.signImage.executeWithOptions(this.summary(this.acts.options.network, 'sign'), [{
        image: this.image, digest: built.digest, sbomDigest: scanned.sbomDigest, reportDigest: tested.reportDigest,
        handled: this.state.handled.slice(-100), waiting: this.state.waiting,
        invocation: { workflowId: info.workflowId, runId: info.runId, cycle: cycle.number, startedOn: cycle.startedAt, finishedOn: now() },
      }]),
    );
    const result = await this.stage('publishing', 'publishImage', () =>
      this.acts.publishImage.executeWithOptions(this.summary(this.acts.options.network, 'publish'), [{ image: this.image, digest: built.digest }]),
    );
    this.state.published = { digest: built.digest, tag: result.tag, reference: result.reference, lockDigest: resolved.lockDigest, cycle: cycle.number, at: now(), baseDigest };
    this.announce();

    // 7. cascade: rebuild every customization built on this image, as child workflows.
    const image = this.image;
    const dependents = image.kind === 'catalog' ? await this.acts.listDependents({ image }) : [];
    if (image.kind === 'catalog' && dependents.length > 0) {
      await this.stage('cascading', 'cascade', async () => {
        cycle.cascade = await runCascade(image, built.digest, dependents, this.settings.cascadeConcurrency, (p) => this.cascadeProgress(cycle, p), this.settings.queues);
      });
    }
    return 'published';
  }

  /**
   * A customization's new base digest (from a cascade, or anyone's raw
   * `baseChanged` signal) must name its base image and variant in signed
   * provenance and must not be older than the base it is on: a signed
   * digest of the base's repository could be an unpatched earlier base, the
   * dev variant or another customization. A refused one is recorded, the
   * image stays on its base, and the cycle goes on with whatever else it
   * was for. Returns false when nothing else is left to do.
   */
  private async acceptBaseChange(cycle: CycleRecord): Promise<boolean> {
    const current = this.state.published?.baseDigest;
    const candidate = this.state.baseDigest;
    if (this.image.kind !== 'custom' || !candidate || !current || candidate === current) return true;
    try {
      await this.stage('resolving', 'verifyBase', () =>
        this.acts.verifyBase.executeWithOptions(this.summary(this.acts.options.network, 'verify new base'), [{ image: this.image, baseDigest: candidate, currentBaseDigest: current }]),
      );
      return true;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const failure = this.failureOf(err);
      if (failure.type !== ErrorType.baseRefused && failure.type !== ErrorType.baseVerificationFailed) throw err;
      this.reject(`baseChanged: ${failure.message}`);
      this.state.baseDigest = current;
      cycle.reasons = cycle.reasons.filter((r) => r.kind !== 'base-changed');
      await this.reply({ outcome: 'refused', detail: failure.message });
      return cycle.reasons.length > 0;
    }
  }

  /**
   * A rollback cycle: the earlier digest must still verify (signature and
   * provenance) before the tag moves back to it. Nothing is built and nothing
   * cascades; the next patch cycle publishes the newest build again unless
   * the image is paused.
   */
  private async rollback(cycle: CycleRecord, digest: string): Promise<CycleRecord['outcome']> {
    const earlier = this.publishedBefore(digest);
    try {
      await this.stage('signing', 'verifyPublished', () =>
        this.acts.verifyPublished.executeWithOptions(this.summary(this.acts.options.network, 'verify rollback target'), [{ image: this.image, digest }]),
      );
    } catch (err) {
      // A refused rollback leaves the image as it was: recorded on the cycle, nothing for on-call to retry.
      if (!(err instanceof ActivityFailure)) throw err;
      cycle.failure = this.failureOf(err);
      return 'failed';
    }
    const result = await this.stage('publishing', 'publishImage', () =>
      this.acts.publishImage.executeWithOptions(this.summary(this.acts.options.network, 'roll back'), [{ image: this.image, digest }]),
    );
    cycle.previousDigest = this.state.published?.digest;
    cycle.digest = digest;
    cycle.lockDigest = earlier?.lockDigest;
    this.state.published = {
      digest, tag: result.tag, reference: result.reference, lockDigest: earlier?.lockDigest ?? '', cycle: cycle.number, at: now(),
      ...(this.state.published?.baseDigest ? { baseDigest: this.state.published.baseDigest } : {}),
    };
    this.announce();
    return 'rolled-back';
  }

  /** Sorts the cycle's advisories by what the resolved lock says; returns those a build would fix. */
  private triage(advisories: Advisory[], resolved: ResolveResult, cycle: number): Advisory[] {
    const fixable: Advisory[] = [];
    for (const advisory of advisories) {
      const installed = resolved.sourceVersions[advisory.source];
      if (installed === undefined) {
        this.handle(advisory, { status: 'not_affected', justification: 'component_not_present', detail: `${advisory.source} is not in ${displayName(this.image)}` });
      } else if (advisory.fixedVersion === null) {
        this.wait(advisory, advisory.status === 'undetermined' ? 'undetermined upstream' : `no fix yet${advisory.reason ? ` (${advisory.reason})` : ''}`, installed);
      } else if (compareVersions(installed, advisory.fixedVersion) >= 0) {
        fixable.push(advisory);
      } else {
        this.wait(advisory, `fix ${advisory.fixedVersion} not in the archive yet (newest ${installed})`, installed);
      }
    }
    wf.log.info('advisories triaged', { cycle, fixable: fixable.length, waiting: this.state.waiting.length });
    return fixable;
  }

  private markFixed(advisories: Advisory[], resolved: ResolveResult, inCycle: number): void {
    for (const a of advisories) this.handle(a, { status: 'fixed', version: resolved.sourceVersions[a.source] ?? a.fixedVersion ?? '', inCycle });
  }

  // ---------------------------------------------------------------- bookkeeping

  private beginCycle(): CycleRecord & { advisories: Advisory[] } {
    const cycle: CycleRecord & { advisories: Advisory[] } = { number: this.state.nextCycle++, reasons: [], startedAt: now(), advisories: [] };
    this.state.current = cycle;
    // A rollback is a cycle of its own: queued advisories and requests wait for the next patch cycle.
    const rollback = this.state.requests.find((r) => r.kind === 'rollback');
    if (rollback) {
      this.state.requests = this.state.requests.filter((r) => r !== rollback);
      cycle.reasons.push(rollback);
    } else {
      this.absorbQueued(cycle);
    }
    return cycle;
  }

  /** Moves queued advisories and requests (and advisories waiting for a fix, to re-check them) into the cycle. */
  private absorbQueued(cycle: CycleRecord & { advisories: Advisory[] }): void {
    const taken = [...this.state.pending, ...this.state.waiting.map((w) => w.advisory)];
    this.state.pending = [];
    this.state.waiting = [];
    const known = new Set(cycle.advisories.map(advisoryKey));
    cycle.advisories.push(...taken.filter((a) => !known.has(advisoryKey(a))));
    const ids = unique(cycle.advisories.map((a) => a.id));
    cycle.reasons = cycle.reasons.filter((r) => r.kind !== 'advisories');
    if (ids.length) cycle.reasons.unshift({ kind: 'advisories', ids });
    for (const request of this.state.requests) {
      if (request.kind !== 'base-changed') continue;
      this.state.baseDigest = request.baseDigest;
      this.replyTo = unique([...this.replyTo, ...(request.replyTo ?? [])]);
    }
    cycle.reasons.push(...this.state.requests);
    this.state.requests = [];
  }

  private finishCycle(cycle: CycleRecord & { advisories?: Advisory[] }): void {
    cycle.finishedAt = now();
    delete cycle.advisories;
    this.state.cycles = [...this.state.cycles, cycle].slice(-KEEP_CYCLES);
    this.state.current = undefined;
    this.setPhase(this.restingPhase());
  }

  private async stage<T>(phase: Stage, activity: string, run: () => Promise<T>): Promise<T> {
    this.setPhase(phase);
    try {
      return await run();
    } catch (err) {
      if (err instanceof ActivityFailure) (err as ActivityFailure & { tempered?: { phase: Stage; activity: string } }).tempered = { phase, activity };
      throw err;
    }
  }

  private summary<O extends object>(options: O, stage: string): O & { summary: string } {
    const ids = cycleAdvisoryIds(this.state.current);
    return { ...options, summary: `${stage} ${displayName(this.image)}${ids.length ? ` for ${ids.slice(0, 3).join(', ')}` : ''}` };
  }

  private failureOf(err: ActivityFailure): FailureRecord {
    const where = (err as ActivityFailure & { tempered?: { phase: Stage; activity: string } }).tempered;
    const cause = err.cause;
    return {
      stage: where?.phase ?? this.state.phase,
      activity: where?.activity ?? err.activityType ?? 'unknown',
      type: cause instanceof ApplicationFailure ? (cause.type ?? 'ApplicationFailure') : (cause?.name ?? 'Error'),
      message: (cause?.message ?? err.message).slice(0, 2000),
      at: now(),
    };
  }

  private recordFailure(cycle: CycleRecord, err: ActivityFailure): void {
    const failure = this.failureOf(err);
    this.state.failure = failure;
    cycle.failure = failure;
    cycle.outcome = 'failed';
    this.setPhase('failed');
    wf.log.warn('patch cycle failed; waiting for on-call retry', { ...failure, cycle: cycle.number });
  }

  private cascadeProgress(cycle: CycleRecord, progress: CascadeProgress): void {
    cycle.cascade = progress;
    this.announce();
  }

  private handle(advisory: Advisory, verdict: AdvisoryVerdict): void {
    const key = advisoryKey(advisory);
    this.state.handled = [...this.state.handled.filter((h) => advisoryKey(h.advisory) !== key), { advisory, verdict, at: now() }].slice(-KEEP_HANDLED);
    this.state.waiting = this.state.waiting.filter((w) => !(w.advisory.id === advisory.id && w.advisory.source === advisory.source));
  }

  private wait(advisory: Advisory, why: string, installedVersion?: string): void {
    const key = advisoryKey(advisory);
    const since = this.state.waiting.find((w) => advisoryKey(w.advisory) === key)?.since ?? now();
    this.state.waiting = [...this.state.waiting.filter((w) => advisoryKey(w.advisory) !== key), { advisory, why, installedVersion, since }];
  }

  /** Records a refused signal: a bounded reason and an excerpt of its id, never the payload (it would ride every continue-as-new). */
  private reject(reason: string, id?: unknown): void {
    const bounded = boundReason(reason);
    wf.log.warn('signal rejected', { reason: bounded });
    this.state.rejected = [...this.state.rejected, { at: now(), reason: bounded, ...(typeof id === 'string' ? { id: id.slice(0, 80) } : {}) }].slice(-KEEP_REJECTED);
    this.state.rejectedCount = (this.state.rejectedCount ?? 0) + 1;
  }

  private inCurrentCycle(key: string): boolean {
    const current = this.state.current as (CycleRecord & { advisories?: Advisory[] }) | undefined;
    return !!current?.advisories?.some((a) => advisoryKey(a) === key);
  }

  /** Tells waiting cascade children (by default those of the running cycle) how this image's cycle ended. */
  private async reply(reply: CascadeReply, targets?: string[]): Promise<void> {
    if (!targets) {
      targets = this.replyTo;
      this.replyTo = [];
    }
    // A child that timed out or was terminated is gone: nothing to tell it.
    await Promise.all(targets.map((id) => wf.getExternalWorkflowHandle(id).signal(cascadeResultSignal, { ...reply, image: displayName(this.image) }).catch(() => undefined)));
  }

  private builtOn(): { detail?: string } {
    return this.state.baseDigest ? { detail: `on base ${this.state.baseDigest}` } : {};
  }

  private restingPhase(): PatchPhase {
    if (this.state.paused) return 'paused';
    return this.state.waiting.length ? 'waiting-for-fix' : 'idle';
  }

  private setPhase(phase: PatchPhase): void {
    this.state.phase = phase;
    this.announce();
  }

  private inheritedAttributes(): NonNullable<ImagePatcher['announced']> {
    const sa = wf.workflowInfo().typedSearchAttributes;
    return {
      name: sa.get(ImageNameKey) ?? '',
      variant: sa.get(ImageVariantKey) ?? '',
      phase: (sa.get(PatchPhaseKey) ?? '') as PatchPhase,
      pending: sa.get(PendingAdvisoriesKey) ?? [],
      digest: sa.get(PublishedDigestKey),
    };
  }

  /** Search attributes and current details: what a row in the Temporal UI says. */
  announce(): void {
    const s = this.state;
    const next = {
      name: this.image.name,
      variant: this.image.kind === 'catalog' ? this.image.variant : 'custom',
      phase: s.phase,
      // Bounded: a value over 2 KiB would get the workflow terminated (see searchAttributes.ts).
      pending: pendingAdvisoriesValue(openAdvisoryIds(s)),
      digest: s.published?.digest,
    };
    // Each upsert is a history event: send only what changed, so 1,000 signals do not cost 1,000 events.
    // A new run starts from the attributes its previous run left (continue-as-new carries them over).
    const last = (this.announced ??= this.inheritedAttributes());
    const changed = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
    const updates = [
      ...(changed(last?.name, next.name) ? [{ key: ImageNameKey, value: next.name }] : []),
      ...(changed(last?.variant, next.variant) ? [{ key: ImageVariantKey, value: next.variant }] : []),
      ...(changed(last?.phase, next.phase) ? [{ key: PatchPhaseKey, value: next.phase }] : []),
      ...(changed(last?.pending, next.pending) ? [{ key: PendingAdvisoriesKey, value: next.pending }] : []),
      ...(next.digest && changed(last?.digest, next.digest) ? [{ key: PublishedDigestKey, value: next.digest }] : []),
    ];
    if (updates.length) wf.upsertSearchAttributes(updates);
    this.announced = next;
    wf.setCurrentDetails(describeState(s, displayName(this.image)));
  }
}

const now = () => new Date().toISOString();
const unique = (values: string[]) => [...new Set(values)].sort();

