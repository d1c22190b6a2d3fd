/**
 * What each message does to an image's patch state, and how a cycle takes
 * in what was queued: the workflow's intake rules, pure and deterministic
 * (times are given), so they are unit-tested here and the workflow only
 * wires them to its handlers (workflows/imageEntity.ts).
 *
 * Rules in one place: an advisory is deduplicated by id, source and fixed
 * version, superseded by a newer record for the same CVE and source, and
 * refused past the queue's byte budget (queued work rides every
 * continue-as-new and is never dropped); upstream changes are one request,
 * bounded; a newer base supersedes a queued one and every waiting cascade
 * child hears one answer; everything queued joins the next cycle.
 */
import type { Release } from '../debian/releases';
import { type Advisory, advisoryKey } from '../advisory/record';
import { displayName, type ImageRef } from '../image';
import {
  type AdvisoryVerdict, boundReason, type CycleReason, type HandledAdvisory, KEEP_CYCLES, KEEP_HANDLED, KEEP_LEARNED, KEEP_REJECTED, jsonBytes, learnedKey, type OutgoingReply,
  type PatchPhase, type PatchState, QUEUED_ADVISORY_BYTES, type RunningCycle,
} from './state';

const unique = (values: readonly string[]) => [...new Set(values)].sort();

export function initialState(image: ImageRef): PatchState {
  return { image, phase: 'idle', pending: [], waiting: [], handled: [], rejected: [], cycles: [], requests: [{ kind: 'initial' }], nextCycle: 1 };
}

// ------------------------------------------------------------------ verdicts

export function handleAdvisory(state: PatchState, advisory: Advisory, verdict: AdvisoryVerdict, now: string): void {
  const key = advisoryKey(advisory);
  const learned = state.learnedAt?.[learnedKey(advisory)];
  if (learned && state.learnedAt) delete state.learnedAt[learnedKey(advisory)];
  const entry: HandledAdvisory = { advisory, verdict, at: now, ...(learned ? { learnedAt: learned } : {}) };
  state.handled = [...state.handled.filter((h) => advisoryKey(h.advisory) !== key), entry].slice(-KEEP_HANDLED);
  state.waiting = state.waiting.filter((w) => !(w.advisory.id === advisory.id && w.advisory.source === advisory.source));
}

export function waitForFix(state: PatchState, advisory: Advisory, why: string, installedVersion: string | undefined, now: string): void {
  const key = advisoryKey(advisory);
  const since = state.waiting.find((w) => advisoryKey(w.advisory) === key)?.since ?? now;
  state.waiting = [...state.waiting.filter((w) => advisoryKey(w.advisory) !== key), { advisory, why, installedVersion, since }];
}

/** A refused signal: a bounded reason and an excerpt of its id, never the payload (it would ride every continue-as-new). */
export function recordRejection(state: PatchState, reason: string, id: unknown, now: string): string {
  const bounded = boundReason(reason);
  state.rejected = [...state.rejected, { at: now, reason: bounded, ...(typeof id === 'string' ? { id: id.slice(0, 80) } : {}) }].slice(-KEEP_REJECTED);
  state.rejectedCount = (state.rejectedCount ?? 0) + 1;
  return bounded;
}

// ------------------------------------------------------------------ intake

/**
 * Queues an advisory; returns why it was refused, or undefined. The byte
 * budget counts the running cycle's advisories too (`countRunning`): a
 * failed cycle is carried by continue-as-new with them, so queued plus
 * running must fit (histories recorded before this counted queued only).
 */
export function queueAdvisory(state: PatchState, advisory: Advisory, now: string, countRunning = true, release?: Release): string | undefined {
  // Another release's record: its fixed version is that release's upload, never one this image can get.
  // Only records with a release are refused, and only by images that know theirs (histories before releases hold neither).
  if (advisory.release !== undefined && release !== undefined && advisory.release !== release) {
    return `release: the advisory is about ${advisory.release}; this image is built on ${release}`;
  }
  const key = advisoryKey(advisory);
  if (state.pending.some((a) => advisoryKey(a) === key)) return undefined;
  if (state.current?.advisories.some((a) => advisoryKey(a) === key)) return undefined;
  if (state.handled.some((h) => advisoryKey(h.advisory) === key)) return undefined;
  // A newer record for the same CVE and source supersedes the queued or waiting one.
  const sameIssue = (a: Advisory) => a.id === advisory.id && a.source === advisory.source;
  state.pending = state.pending.filter((a) => !sameIssue(a));
  state.waiting = state.waiting.filter((w) => !sameIssue(w.advisory) || advisoryKey(w.advisory) === key);
  if (advisory.status === 'not-affected') {
    handleAdvisory(state, advisory, { status: 'not_affected', justification: 'vulnerable_code_not_present', detail: advisory.reason ?? `the advisory says ${advisory.release ?? 'the release'} is not affected` }, now);
    return undefined;
  }
  state.waiting = state.waiting.filter((w) => advisoryKey(w.advisory) !== key);
  // Queued advisories ride every continue-as-new and are never dropped: past their budget, new ones are refused.
  const running = countRunning ? (state.current?.advisories ?? []) : [];
  const queued = jsonBytes(state.pending) + jsonBytes(state.waiting) + (running.length ? jsonBytes(running) : 0);
  if (queued + jsonBytes(advisory) > QUEUED_ADVISORY_BYTES) {
    const count = state.pending.length + state.waiting.length + running.length;
    return `(record): ${count} advisories are queued or in the running cycle (${queued} bytes); send it again once they are handled`;
  }
  state.pending.push(advisory);
  learned(state, advisory, now);
  return undefined;
}

/** Remembers when the advisory first arrived (the start of its time to fix), once. */
function learned(state: PatchState, advisory: Advisory, now: string): void {
  const map = (state.learnedAt ??= {});
  if (map[learnedKey(advisory)]) return;
  map[learnedKey(advisory)] = now;
  const keys = Object.keys(map);
  for (const old of keys.slice(0, Math.max(0, keys.length - KEEP_LEARNED))) delete map[old];
}

/** A publish carries the fixes of its cycle: their time to fix ends now. */
export function markFixesPublished(state: PatchState, cycle: number, at: string): void {
  for (const h of state.handled) if (h.verdict.status === 'fixed' && h.verdict.inCycle === cycle && !h.publishedAt) h.publishedAt = at;
}

/**
 * The monitor saw newer versions of packages this image has. The lines only
 * say why the cycle runs (it resolves the newest of everything): all queued
 * upstream changes are one request, one line per package, at most `keep`.
 */
export function queueUpstream(state: PatchState, lines: readonly string[], keep: number): void {
  const queued = state.requests.find((r) => r.kind === 'upstream');
  const byName = new Map<string, string>();
  for (const line of [...(queued?.kind === 'upstream' ? queued.packages : []), ...lines]) byName.set(line.split(' ')[0] as string, line);
  const packages = [...byName.values()].slice(0, keep);
  if (queued?.kind === 'upstream') queued.packages = packages;
  else state.requests.push({ kind: 'upstream', packages });
}

/**
 * A customization's base has a new digest. Returns the replies to send at
 * once (a child that cannot be answered by a cycle soon) and a rejection.
 * A paused or failed image defers: the child hears now, and the image builds
 * on the newest base when it resumes or is retried.
 */
export function queueBaseChange(
  state: PatchState,
  image: ImageRef,
  change: { baseDigest: string; replyTo?: string },
  waitingChildrenMax: number,
): { replies: OutgoingReply[]; rejection?: string } {
  const label = displayName(image);
  const to = change.replyTo ? [change.replyTo] : [];
  const tell = (outcome: string, detail: string) => to.map((t) => ({ to: t, reply: { outcome, detail } }));
  if (image.kind !== 'custom') {
    // A catalog image is built from the archive, not on a base: nothing to rebuild, and a waiting child hears so now.
    return { replies: tell('refused', `${label} has no base`), rejection: `baseChanged: ${label} is a catalog image; it has no base, so baseDigest ${change.baseDigest.slice(0, 19)}… changes nothing` };
  }
  if (state.phase === 'failed') {
    // Built on after the on-call retry; tell the cascade now rather than holding its slot.
    state.baseDigest = change.baseDigest;
    return { replies: tell('deferred', `${label} is failed; it builds on this base after a retry`) };
  }
  if (state.current && state.baseDigest === change.baseDigest) {
    // The running cycle builds on this base already (a repeated notify): its result answers this child too.
    state.replyTo = unique([...(state.replyTo ?? []), ...to]);
    return { replies: [] };
  }
  const replaceQueued = (replyTo: string[]) => {
    state.requests = state.requests.filter((r) => r.kind !== 'base-changed');
    state.requests.push({ kind: 'base-changed', baseDigest: change.baseDigest, ...(replyTo.length ? { replyTo } : {}) });
  };
  if (state.paused) {
    // Built on when resumed; a paused image must not hold a cascade slot for hours.
    replaceQueued([]);
    return { replies: tell('deferred', `${label} is paused (${state.paused.reason}); it builds on this base when resumed`) };
  }
  // A newer base supersedes a queued one: one build, and every child waiting for either gets its result.
  const waiting = state.requests.flatMap((r) => (r.kind === 'base-changed' ? (r.replyTo ?? []) : []));
  const all = unique([...waiting, ...to]);
  if (all.length > waitingChildrenMax) {
    // Carried by continue-as-new, so bounded: a child past the limit hears now instead of holding its slot.
    replaceQueued(unique(waiting));
    return { replies: tell('deferred', `${waiting.length} cascades already wait for ${label}`) };
  }
  replaceQueued(all);
  return { replies: [] };
}

/** All queued rebuilds join the next cycle: the newest `keep` (who asked and why) are kept, not every one of a flood. */
export function queueRebuild(state: PatchState, request: { by: string; note?: string }, keep: number): void {
  const rebuilds = state.requests.filter((r) => r.kind === 'rebuild');
  if (rebuilds.length >= keep) {
    const oldest = rebuilds[0];
    state.requests = state.requests.filter((r) => r !== oldest);
  }
  state.requests.push({ kind: 'rebuild', by: request.by, note: request.note });
}

// ------------------------------------------------------------------ cycles

/** Paused images patch nothing, but an on-call rollback still runs (pause, then roll back, holds it); a failed cycle waits for its retry. */
export function hasWork(state: PatchState): boolean {
  if (state.phase === 'failed' && state.current) return !!state.retryRequested;
  if (state.requests.some((r) => r.kind === 'rollback')) return true;
  return !state.paused && (state.pending.length > 0 || state.requests.length > 0);
}

/** A rollback is a cycle of its own: queued advisories and requests wait for the next patch cycle. */
export function beginCycle(state: PatchState, now: string): RunningCycle {
  const cycle: RunningCycle = { number: state.nextCycle++, reasons: [], startedAt: now, advisories: [] };
  state.current = cycle;
  const rollback = state.requests.find((r) => r.kind === 'rollback');
  if (rollback) {
    state.requests = state.requests.filter((r) => r !== rollback);
    cycle.reasons.push(rollback);
  } else {
    absorbQueued(state, cycle);
  }
  return cycle;
}

/** Moves queued advisories and requests (and advisories waiting for a fix, to re-check them) into the cycle. */
export function absorbQueued(state: PatchState, cycle: RunningCycle): void {
  const taken = [...state.pending, ...state.waiting.map((w) => w.advisory)];
  state.pending = [];
  state.waiting = [];
  const known = new Set(cycle.advisories.map(advisoryKey));
  cycle.advisories.push(...taken.filter((a) => !known.has(advisoryKey(a))));
  const ids = unique(cycle.advisories.map((a) => a.id));
  cycle.reasons = cycle.reasons.filter((r) => r.kind !== 'advisories');
  if (ids.length) cycle.reasons.unshift({ kind: 'advisories', ids });
  for (const request of state.requests) {
    if (request.kind !== 'base-changed') continue;
    state.baseDigest = request.baseDigest;
    state.replyTo = unique([...(state.replyTo ?? []), ...(request.replyTo ?? [])]);
  }
  cycle.reasons.push(...state.requests);
  state.requests = [];
}

/** Debounce only what batches: not a first build, an explicit request or a new base (a cascade slot waits on it). */
export function isUrgent(reasons: readonly CycleReason[]): boolean {
  return reasons.some((r) => r.kind === 'initial' || r.kind === 'rebuild' || r.kind === 'base-changed' || r.kind === 'rollback');
}

export function restingPhase(state: PatchState): PatchPhase {
  if (state.paused) return 'paused';
  return state.waiting.length ? 'waiting-for-fix' : 'idle';
}

/** The cycle ends: kept in the bounded record of cycles, its advisories now handled or waiting. */
export function finishCycle(state: PatchState, cycle: RunningCycle, now: string): void {
  const { advisories: _advisories, ...record } = cycle;
  record.finishedAt = now;
  state.cycles = [...state.cycles, record].slice(-KEEP_CYCLES);
  state.current = undefined;
  state.failure = undefined;
  state.retryRequested = undefined;
  state.phase = restingPhase(state);
}

/** The answer for every child that waited for the running cycle; the wait list empties. */
export function repliesToWaiting(state: PatchState, reply: OutgoingReply['reply']): OutgoingReply[] {
  const to = state.replyTo ?? [];
  state.replyTo = undefined;
  return to.map((t) => ({ to: t, reply }));
}

// ------------------------------------------------------------------ rollback

export function publishedBefore(state: PatchState, digest: string) {
  return state.cycles.find((c) => c.digest === digest && (c.outcome === 'published' || c.outcome === 'rolled-back'));
}

/** Why a rollback to `digest` is refused now, or undefined. */
export function rollbackRefusal(state: PatchState, label: string, digest: string): string | undefined {
  if (state.current) return `${label} is running cycle ${state.current.number} (${state.phase}); roll back when it has ended`;
  if (digest === state.published?.digest) return `${digest} is already the published digest of ${label}`;
  if (!publishedBefore(state, digest)) {
    const known = unique(state.cycles.flatMap((c) => ((c.outcome === 'published' || c.outcome === 'rolled-back') && c.digest ? [c.digest] : [])));
    return `${label} never published ${digest} (in its last ${state.cycles.length} cycles: ${known.join(', ') || 'none'})`;
  }
  return undefined;
}
