/**
 * One patch cycle of an image, top to bottom:
 * resolve -> build -> test -> scan -> sign -> publish -> cascade.
 * An image of several architectures builds each on its own queue, lists
 * them in one image index, tests, scans and signs each platform image, signs
 * the index, and publishes the index.
 *
 * A cycle either ends (its outcome recorded, waiting cascade children told)
 * or fails at a stage and stays the image's current cycle, carried by
 * continue-as-new, until on-call retries it; the retry runs it again from
 * the start with whatever was queued meanwhile (the build is cached when
 * nothing changed). A rollback is a cycle of its own.
 */
import * as wf from '@temporalio/workflow';
import { vexRecords } from '../domain/attest/vexRecords';
import type { ChangelogRequest } from '../domain/changelog/changelog';
import { advisoryKey } from '../domain/advisory/record';
import { displayName } from '../domain/image';
import { absorbQueued, beginCycle, finishCycle, handleAdvisory, isUrgent, markFixesPublished, publishedBefore, repliesToWaiting, waitForFix } from '../domain/patch/queue';
import type { CycleOutcome, RunningCycle } from '../domain/patch/state';
import { type Disposition, fixedByLock, platformVerdicts, scanDispositions, triage } from '../domain/patch/triage';
import { type Architecture, buildQueueOf, DEFAULT_ARCHITECTURE } from '../domain/platform';
import type { PlatformImage, ScanResult, TestResult } from '../activities/types';
import { ErrorType } from '../domain/patch/errors';
import { stageActivities } from './activityOptions';
import { runInlineCascade } from './cascade';
import { emitEvent, eventOf } from './events';
import { needsRecascade, startCascade } from './cascadeCoordinator';
import type { ImageEntity } from './imageEntity';
import { Patch } from './patches';
import { StageFailure, StageRunner } from './stages';
import { parseUniqueTag } from '../domain/tags/uniqueTag';

const now = () => new Date().toISOString();
const unique = (values: readonly string[]) => [...new Set(values)].sort();

export type CycleEnd = 'ended' | 'failed';

export class PatchCycle {
  private readonly acts;
  private readonly stages: StageRunner;

  constructor(private readonly entity: ImageEntity) {
    this.acts = stageActivities(entity.settings.queues);
    this.stages = new StageRunner(entity, this.acts);
  }

  private get state() {
    return this.entity.state;
  }

  /**
   * Runs the next cycle, or the failed one again after a retry. New cycles
   * let a burst of advisories gather first, unless they are urgent (a first
   * build, an explicit request, a new base: a cascade child waits on it).
   */
  async run(): Promise<CycleEnd> {
    let cycle: RunningCycle;
    if (this.state.current && this.state.phase === 'failed') {
      cycle = this.state.current;
      this.state.retryRequested = undefined;
      this.state.failure = undefined;
      absorbQueued(this.state, cycle);
    } else {
      const { debounceSeconds } = this.entity.settings;
      if (!isUrgent(this.state.requests) && debounceSeconds > 0) await wf.sleep(debounceSeconds * 1000);
      cycle = beginCycle(this.state, now());
    }
    try {
      cycle.outcome = await this.patch(cycle);
    } catch (err) {
      if (!(err instanceof StageFailure)) throw err;
      this.fail(cycle, err);
      // Each attempt of a cycle (a retry adds a reason) is its own event.
      const attempt = cycle.reasons.filter((r) => r.kind === 'retry').length + 1;
      await emitEvent(this.entity, 'cycle.failed', `${cycle.number}.${attempt}`, { cycle: cycle.number, attempt, ...err.record });
      return 'failed';
    }
    finishCycle(this.state, cycle, now());
    this.entity.announce();
    const published = this.state.published;
    this.entity.queueReplies(repliesToWaiting(this.state, {
      outcome: cycle.outcome ?? 'unchanged',
      ...(published ? { digest: published.digest } : {}),
      ...(this.state.baseDigest ? { detail: `on base ${this.state.baseDigest}` } : {}),
    }));
    return 'ended';
  }

  private fail(cycle: RunningCycle, err: StageFailure): void {
    this.state.failure = err.record;
    cycle.failure = err.record;
    cycle.outcome = 'failed';
    this.entity.setPhase('failed');
    wf.log.warn('patch cycle failed; waiting for on-call retry', { ...err.record, cycle: cycle.number });
    this.entity.queueReplies(repliesToWaiting(this.state, { outcome: 'failed', detail: err.record.message }));
  }

  private async patch(cycle: RunningCycle): Promise<CycleOutcome> {
    const rollback = cycle.reasons.find((r) => r.kind === 'rollback');
    if (rollback?.kind === 'rollback') return this.rollback(cycle, rollback.digest);
    if (this.entity.patched(Patch.verifyBaseChange) && !(await this.acceptBaseChange(cycle))) return 'base-refused';
    const { image } = this.entity;
    const published = this.state.published;

    // 1. resolve: the exact package set this cycle would build, and what the advisories need.
    const latest = cycle.reasons.some((r) => r.kind === 'advisories' || r.kind === 'upstream' || r.kind === 'rebuild');
    const resolved = await this.stages.run('resolving', 'resolveLock', {
      image, mode: latest ? 'latest' : 'locked', previousLockDigest: published?.lockDigest, sources: unique(cycle.advisories.map((a) => a.source)),
      ...(this.state.baseDigest ? { baseDigest: this.state.baseDigest } : {}),
      ...(this.state.trustedReleases ? { trustedReleases: this.state.trustedReleases } : {}),
      ...(cycle.reasons.some((r) => r.kind === 'downgrade-allowed') ? { allowDowngrade: true } : {}),
    }, 'resolve');
    if (resolved.trustedReleases) this.state.trustedReleases = resolved.trustedReleases;
    // Customizations: a first cycle before any cascade resolves on the digest the base's tag names now; hold on to it, so
    // build, provenance and `published.baseDigest` all name the same base, and the next cascade compares against it.
    if (resolved.baseDigest && this.state.baseDigest === undefined) this.state.baseDigest = resolved.baseDigest;
    cycle.lockDigest = resolved.lockDigest;
    cycle.changes = [...resolved.changes, ...resolved.unavailable.map((u) => `${u} no longer offered by the archive`)];
    const { fixable, dispositions } = triage(cycle.advisories, resolved.sourceVersions, displayName(image));
    await this.applyAndTell(cycle, dispositions);
    wf.log.info('advisories triaged', { cycle: cycle.number, fixable: fixable.length, waiting: this.state.waiting.length });

    const baseDigest = this.state.baseDigest;
    const mustBuild = !published || resolved.lockDigest !== published.lockDigest || published.baseDigest !== baseDigest ||
      cycle.reasons.some((r) => r.kind === 'rebuild');
    if (!mustBuild) {
      this.apply(fixedByLock(fixable, resolved.sourceVersions, published.cycle));
      return this.state.waiting.length && fixable.length === 0 && cycle.advisories.length ? 'waiting-for-fix' : 'up-to-date';
    }

    // 2. build from the lock (reproducible: an unchanged lock gives the published digest back): one image,
    // or one per architecture listed in an image index.
    const platforms = await this.build(cycle, resolved.lockDigest, resolved.architectures ?? [], baseDigest);
    const digest = platforms.length > 1
      ? (await this.stages.run('building', 'assembleIndex', { image, lockDigest: resolved.lockDigest, platforms }, 'assemble the image index of')).digest
      : (platforms[0] as PlatformImage).digest;
    cycle.digest = digest;
    cycle.previousDigest = published?.digest;
    if (published && digest === published.digest) {
      this.apply(fixedByLock(fixable, resolved.sourceVersions, published.cycle));
      if (needsRecascade(this.entity, digest)) await this.cascade(cycle, digest);
      return 'unchanged';
    }
    const on = (p: PlatformImage) => (platforms.length > 1 ? { platform: p.architecture } : undefined);

    // 3. test: policy and definition tests in containers, each platform (arm64 under emulation on an amd64
    // worker); a failure is non-retryable and waits for on-call.
    const tested: TestResult[] = [];
    for (const p of platforms) tested.push(await this.stages.run('testing', 'testImage', { image, digest: p.digest }, 'test', on(p)));

    // 4. scan: each built image's own SBOM decides which advisories it fixes (fixed only where every platform is).
    const scanned: ScanResult[] = [];
    for (const p of platforms) scanned.push(await this.stages.run('scanning', 'scanImage', { image, digest: p.digest, advisories: fixable }, 'scan', on(p)));
    await this.applyAndTell(cycle, scanDispositions(fixable, platformVerdicts(scanned.map((s) => s.verdicts)), cycle.number));

    // 5. sign and attest (provenance, SBOM, VEX, test results) each platform image, then the index; 6. publish:
    // the tag moves last.
    const info = wf.workflowInfo();
    const vex = vexRecords(this.state.handled, this.state.waiting);
    const invocation = { workflowId: info.workflowId, runId: info.runId, cycle: cycle.number, startedOn: cycle.startedAt, finishedOn: now() };
    const signed = platforms.map((p, i) => ({ ...p, sbomDigest: (scanned[i] as ScanResult).sbomDigest, reportDigest: (tested[i] as TestResult).reportDigest }));
    // The published subject (the image, or the index) also gets its changelog.
    const changelog: ChangelogRequest = {
      ...(published ? { previousDigest: published.digest } : {}),
      reasons: cycle.reasons,
      ...(baseDigest ? { base: { ...(published?.baseDigest ? { from: published.baseDigest } : {}), to: baseDigest } } : {}),
    };
    const single = platforms.length === 1;
    let summary: string | undefined;
    for (const p of signed) {
      const result = await this.stages.run('signing', 'signImage', { image, digest: p.digest, sbomDigest: p.sbomDigest, reportDigest: p.reportDigest, vex, invocation, ...(single ? { changelog } : {}) }, 'sign', on(p));
      summary = result.changelog;
    }
    if (!single) summary = (await this.stages.run('signing', 'signImage', { image, digest, platforms: signed, vex, invocation, changelog }, 'sign the image index of')).changelog;
    const publishedAt = now();
    const event = eventOf(this.entity, 'image.published', String(cycle.number), {
      cycle: cycle.number, digest, ...(published ? { previousDigest: published.digest } : {}), ...(summary ? { changelog: summary } : {}), fixed: vex.filter((r) => r.status === 'fixed' && r.cycle === cycle.number).map((r) => r.id),
    });
    const result = await this.stages.run('publishing', 'publishImage', { image, digest, unique: { publishedAt, cycle: cycle.number }, event }, 'publish');
    this.state.published = {
      digest, tag: result.tag, reference: result.reference, lockDigest: resolved.lockDigest, cycle: cycle.number, at: publishedAt, baseDigest,
      ...(result.uniqueTag ? { uniqueTag: result.uniqueTag } : {}),
    };
    // A workflow created anew counts from 1 while the registry has the old run's unique tags: count on past them.
    const tagged = result.uniqueTag ? parseUniqueTag(result.uniqueTag) : undefined;
    if (tagged) this.state.nextCycle = Math.max(this.state.nextCycle, tagged.cycle + 1);
    markFixesPublished(this.state, cycle.number, publishedAt);
    this.entity.announce();

    // 7. cascade: rebuild every customization built on this image.
    await this.cascade(cycle, digest);
    return 'published';
  }

  /**
   * The build stage: one image (customizations, one architecture, histories before architectures), or one
   * per architecture side by side, each on its architecture's build queue, for an image index.
   */
  private async build(cycle: RunningCycle, lockDigest: string, architectures: readonly Architecture[], baseDigest: string | undefined): Promise<PlatformImage[]> {
    const { image } = this.entity;
    // Dev images run their maintainer scripts: on their architecture's queue. Runtime images are package bytes.
    const queue = (arch: Architecture) => buildQueueOf(this.entity.settings.queues.build, arch, image.kind === 'catalog' && image.variant === 'dev');
    if (architectures.length > 1 && this.entity.patched(Patch.imageIndex)) {
      const platforms = architectures.map((architecture): NonNullable<RunningCycle['platforms']>[number] => ({ architecture }));
      cycle.platforms = platforms;
      return Promise.all(platforms.map(async (platform) => {
        const { architecture } = platform;
        const built = await this.stages.run('building', 'buildImage', { image, lockDigest, architecture, baseDigest }, 'build', { platform: architecture, taskQueue: queue(architecture) });
        platform.digest = built.digest;
        this.entity.announce();
        return { architecture, digest: built.digest };
      }));
    }
    const architecture = architectures[0] ?? DEFAULT_ARCHITECTURE;
    const other = architecture !== DEFAULT_ARCHITECTURE;
    const built = await this.stages.run('building', 'buildImage', { image, lockDigest, baseDigest, ...(other ? { architecture } : {}) }, 'build', other ? { taskQueue: queue(architecture) } : undefined);
    return [{ architecture, digest: built.digest }];
  }

  /** Catalog images: hands the new digest to a cascade coordinator (histories before it ran the cascade here). */
  private async cascade(cycle: RunningCycle, digest: string): Promise<void> {
    const { image } = this.entity;
    if (image.kind !== 'catalog') return;
    const dependents = await this.acts.listDependents({ image });
    if (dependents.length === 0) return;
    if (this.entity.patched(Patch.cascadeCoordinator)) return startCascade(this.entity, cycle, digest, dependents);
    this.entity.setPhase('cascading');
    const { cascadeConcurrency, queues } = this.entity.settings;
    cycle.cascade = await runInlineCascade(image, digest, dependents, cascadeConcurrency, (progress) => {
      cycle.cascade = progress;
      this.entity.announce();
    }, queues);
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
  private async acceptBaseChange(cycle: RunningCycle): Promise<boolean> {
    const current = this.state.published?.baseDigest;
    const candidate = this.state.baseDigest;
    if (this.entity.image.kind !== 'custom' || !candidate || !current || candidate === current) return true;
    try {
      await this.stages.run('resolving', 'verifyBase', { image: this.entity.image, baseDigest: candidate, currentBaseDigest: current }, 'verify new base');
      return true;
    } catch (err) {
      if (!(err instanceof StageFailure)) throw err;
      const { type, message } = err.record;
      if (type !== ErrorType.baseRefused && type !== ErrorType.baseVerificationFailed) throw err;
      this.entity.reject(`baseChanged: ${message}`);
      this.state.baseDigest = current;
      cycle.reasons = cycle.reasons.filter((r) => r.kind !== 'base-changed');
      this.entity.queueReplies(repliesToWaiting(this.state, { outcome: 'refused', detail: message }));
      await this.entity.sendReplies();
      return cycle.reasons.length > 0;
    }
  }

  /**
   * A rollback cycle: the earlier digest must still verify (signature and
   * provenance) before the tag moves back to it. Nothing is built and nothing
   * cascades; the next patch cycle publishes the newest build again unless
   * the image is paused. A refused rollback leaves the image as it was:
   * recorded on the cycle, nothing for on-call to retry.
   */
  private async rollback(cycle: RunningCycle, digest: string): Promise<CycleOutcome> {
    const earlier = publishedBefore(this.state, digest);
    const { image } = this.entity;
    try {
      await this.stages.run('signing', 'verifyPublished', { image, digest }, 'verify rollback target');
    } catch (err) {
      if (!(err instanceof StageFailure)) throw err;
      cycle.failure = err.record;
      return 'failed';
    }
    const asked = cycle.reasons.find((r) => r.kind === 'rollback');
    const event = eventOf(this.entity, 'image.rolled-back', String(cycle.number), {
      cycle: cycle.number, digest, ...(this.state.published ? { previousDigest: this.state.published.digest } : {}), ...(asked?.kind === 'rollback' ? { by: asked.by, reason: asked.reason } : {}),
    });
    const result = await this.stages.run('publishing', 'publishImage', { image, digest, event }, 'roll back');
    cycle.previousDigest = this.state.published?.digest;
    cycle.digest = digest;
    cycle.lockDigest = earlier?.lockDigest;
    this.state.published = {
      digest, tag: result.tag, reference: result.reference, lockDigest: earlier?.lockDigest ?? '', cycle: cycle.number, at: now(),
      ...(this.state.published?.baseDigest ? { baseDigest: this.state.published.baseDigest } : {}),
    };
    this.entity.announce();
    return 'rolled-back';
  }

  /** Applies the verdicts, and tells people of each advisory that starts waiting for its fix. */
  private async applyAndTell(cycle: RunningCycle, dispositions: readonly Disposition[]): Promise<void> {
    const waitingBefore = new Set(this.state.waiting.map((w) => advisoryKey(w.advisory)));
    this.apply(dispositions);
    for (const d of dispositions) {
      if (!('waitFor' in d) || waitingBefore.has(advisoryKey(d.advisory))) continue;
      const { id, source, severity } = d.advisory;
      await emitEvent(this.entity, 'advisory.waiting', `${cycle.number}/${id}/${source}`, {
        cycle: cycle.number, advisory: id, source, severity, why: d.waitFor, ...(d.installedVersion ? { installedVersion: d.installedVersion } : {}),
      });
    }
  }

  private apply(dispositions: readonly Disposition[]): void {
    for (const d of dispositions) {
      if ('verdict' in d) handleAdvisory(this.state, d.advisory, d.verdict, now());
      else waitForFix(this.state, d.advisory, d.waitFor, d.installedVersion, now());
    }
  }
}
