import type { Advisory } from '../advisory/record';
import type { ImageRef } from '../image';
import {
  absorbQueued, beginCycle, finishCycle, hasWork, initialState, isUrgent, queueAdvisory, queueBaseChange, queueRebuild, queueUpstream, repliesToWaiting, rollbackRefusal,
  handleAdvisory, markFixesPublished,
} from './queue';
import { KEEP_CYCLES, type PatchState, QUEUED_ADVISORY_BYTES } from './state';

const T = '2026-12-04T10:00:00.000Z';
const catalog: ImageRef = { kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' };
const custom: ImageRef = { kind: 'custom', name: 'app' };
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const advisory = (id: string, source = 'openssl', fixedVersion: string | null = '3.0.16-1~deb12u1', over: Partial<Advisory> = {}): Advisory => ({
  id, aliases: [], source, fixedVersion, status: fixedVersion ? 'fixed' : 'no-fix', severity: 'high', origin: 'cli', ...over,
});
/** A state past its first cycle: nothing queued. */
const settled = (image: ImageRef = catalog): PatchState => ({ ...initialState(image), requests: [] });

describe('queueAdvisory', () => {
  test('the same record twice is queued once; a newer record for the same CVE and source replaces the older', () => {
    const s = settled();
    queueAdvisory(s, advisory('CVE-2026-1'), T);
    queueAdvisory(s, advisory('CVE-2026-1'), T);
    expect(s.pending).toHaveLength(1);
    queueAdvisory(s, advisory('CVE-2026-1', 'openssl', '3.0.17-1~deb12u1'), T);
    expect(s.pending.map((a) => a.fixedVersion)).toEqual(['3.0.17-1~deb12u1']);
  });

  test('a record about another release is refused, naming both; one about this release or none is queued', () => {
    const s = settled();
    const trixieFix = advisory('CVE-2026-9', 'openssl', '3.5.1-1+deb13u1', { release: 'trixie' });
    expect(queueAdvisory(s, trixieFix, T, true, 'bookworm')).toBe('release: the advisory is about trixie; this image is built on bookworm');
    expect(s.pending).toEqual([]);
    expect(queueAdvisory(s, advisory('CVE-2026-9', 'openssl', '3.0.17-1~deb12u2', { release: 'bookworm' }), T, true, 'bookworm')).toBeUndefined();
    expect(queueAdvisory(s, advisory('CVE-2026-8'), T, true, 'bookworm')).toBeUndefined();
    // An image that does not know its release (a customization) takes every record.
    expect(queueAdvisory(settled(custom), trixieFix, T)).toBeUndefined();
    expect(s.pending.map((a) => `${a.id} ${a.release ?? 'every release'}`)).toEqual(['CVE-2026-9 bookworm', 'CVE-2026-8 every release']);
  });

  test('one already handled, or in the running cycle, is not queued again', () => {
    const s = settled();
    queueAdvisory(s, advisory('CVE-2026-1'), T);
    const cycle = beginCycle(s, T);
    expect(cycle.advisories.map((a) => a.id)).toEqual(['CVE-2026-1']);
    queueAdvisory(s, advisory('CVE-2026-1'), T);
    expect(s.pending).toEqual([]);
  });

  test('"not affected" is a verdict at once, never queued', () => {
    const s = settled();
    queueAdvisory(s, advisory('CVE-2026-2', 'zlib', null, { status: 'not-affected', reason: 'code not built' }), T);
    expect(s.pending).toEqual([]);
    expect(s.handled[0]?.verdict).toEqual({ status: 'not_affected', justification: 'vulnerable_code_not_present', detail: 'code not built' });
  });

  test('past the byte budget an advisory is refused, and the running cycle counts (unless told otherwise, for old histories)', () => {
    const big = (i: number) => advisory(`CVE-2026-${1000 + i}`, 'openssl', '3.0.16-1~deb12u1', { aliases: Array.from({ length: 240 }, (_, j) => `GHSA-${j}-${'x'.repeat(120)}`) });
    const s = settled();
    let i = 0;
    while (!queueAdvisory(s, big(i), T)) i++;
    const accepted = s.pending.length;
    expect(accepted * 30_000).toBeLessThan(QUEUED_ADVISORY_BYTES);
    beginCycle(s, T);
    expect(queueAdvisory(s, big(500), T)).toMatch(/^\(record\): \d+ advisories are queued or in the running cycle/);
    expect(queueAdvisory(s, big(501), T, false)).toBeUndefined();
  });
});

test('upstream changes are one request: one line per package, the newest, at most `keep`', () => {
  const s = settled();
  queueUpstream(s, ['libssl3 3.0.15-1', 'zlib1g 1:1.2.13'], 10);
  queueUpstream(s, ['libssl3 3.0.16-1'], 10);
  expect(s.requests).toEqual([{ kind: 'upstream', packages: ['libssl3 3.0.16-1', 'zlib1g 1:1.2.13'] }]);
  queueUpstream(s, Array.from({ length: 20 }, (_, i) => `pkg${i} 1.${i}`), 5);
  expect(s.requests[0]?.kind === 'upstream' && s.requests[0].packages).toHaveLength(5);
});

describe('queueBaseChange', () => {
  const change = (c: string, replyTo?: string) => ({ baseDigest: digest(c), ...(replyTo ? { replyTo } : {}) });

  test('a catalog image has no base: refused, and a waiting child hears so', () => {
    const out = queueBaseChange(settled(), catalog, change('a', 'child-1'), 50);
    expect(out.rejection).toMatch(/base:bookworm is a catalog image/);
    expect(out.replies).toEqual([{ to: 'child-1', reply: { outcome: 'refused', detail: 'base:bookworm has no base' } }]);
  });

  test('a newer base replaces a queued one; every waiting child waits for the one build', () => {
    const s = settled(custom);
    queueBaseChange(s, custom, change('a', 'child-1'), 50);
    expect(queueBaseChange(s, custom, change('b', 'child-2'), 50).replies).toEqual([]);
    expect(s.requests).toEqual([{ kind: 'base-changed', baseDigest: digest('b'), replyTo: ['child-1', 'child-2'] }]);
  });

  test('a paused image defers at once and builds on the newest base when resumed', () => {
    const s = settled(custom);
    s.paused = { by: 'alice', reason: 'freeze', at: T };
    expect(queueBaseChange(s, custom, change('a', 'child-1'), 50).replies).toEqual([{ to: 'child-1', reply: { outcome: 'deferred', detail: 'custom:app is paused (freeze); it builds on this base when resumed' } }]);
    queueBaseChange(s, custom, change('b', 'child-2'), 50);
    expect(s.requests).toEqual([{ kind: 'base-changed', baseDigest: digest('b') }]);
    expect(hasWork(s)).toBe(false);
    s.paused = undefined;
    expect(hasWork(s)).toBe(true);
  });

  test('a failed image defers at once and builds on the base after its retry', () => {
    const s = settled(custom);
    beginCycle(s, T);
    s.phase = 'failed';
    const out = queueBaseChange(s, custom, change('c', 'child-1'), 50);
    expect(out.replies[0]?.reply.outcome).toBe('deferred');
    expect(s.baseDigest).toBe(digest('c'));
  });

  test('the running cycle on this very base answers a repeated notify; past the wait limit a child hears at once', () => {
    const s = settled(custom);
    queueBaseChange(s, custom, change('a', 'child-1'), 50);
    beginCycle(s, T);
    queueBaseChange(s, custom, change('a', 'child-2'), 50);
    expect(s.replyTo).toEqual(['child-1', 'child-2']);
    const t = settled(custom);
    queueBaseChange(t, custom, change('a', 'child-1'), 1);
    expect(queueBaseChange(t, custom, change('b', 'child-2'), 1).replies).toEqual([{ to: 'child-2', reply: { outcome: 'deferred', detail: '1 cascades already wait for custom:app' } }]);
  });
});

test('rebuild requests keep the newest `keep`', () => {
  const s = settled();
  for (let i = 0; i < 5; i++) queueRebuild(s, { by: `u${i}` }, 3);
  expect(s.requests.map((r) => (r.kind === 'rebuild' ? r.by : r.kind))).toEqual(['u2', 'u3', 'u4']);
});

describe('cycles', () => {
  test('a failed cycle has work only once retried; a paused image only for a rollback', () => {
    const s = settled();
    queueAdvisory(s, advisory('CVE-2026-1'), T);
    beginCycle(s, T);
    s.phase = 'failed';
    queueAdvisory(s, advisory('CVE-2026-2'), T);
    expect(hasWork(s)).toBe(false);
    s.retryRequested = true;
    expect(hasWork(s)).toBe(true);
    const p = settled();
    p.paused = { by: 'a', reason: 'r', at: T };
    queueRebuild(p, { by: 'a' }, 3);
    expect(hasWork(p)).toBe(false);
    p.requests.push({ kind: 'rollback', digest: digest('a'), by: 'a', reason: 'r' });
    expect(hasWork(p)).toBe(true);
  });

  test('a cycle takes in everything queued (and waiting advisories, to check again); a rollback is a cycle of its own', () => {
    const s = settled(custom);
    queueAdvisory(s, advisory('CVE-2026-1'), T);
    s.waiting = [{ advisory: advisory('CVE-2026-9', 'glibc', null), why: 'no fix yet', since: T }];
    queueBaseChange(s, custom, { baseDigest: digest('a'), replyTo: 'child-1' }, 50);
    s.requests.push({ kind: 'rollback', digest: digest('f'), by: 'carol', reason: 'r' });
    const rollback = beginCycle(s, T);
    expect(rollback.reasons).toEqual([{ kind: 'rollback', digest: digest('f'), by: 'carol', reason: 'r' }]);
    expect(s.pending).toHaveLength(1);
    finishCycle(s, rollback, T);
    const cycle = beginCycle(s, T);
    expect(cycle.advisories.map((a) => a.id)).toEqual(['CVE-2026-1', 'CVE-2026-9']);
    expect(cycle.reasons).toEqual([{ kind: 'advisories', ids: ['CVE-2026-1', 'CVE-2026-9'] }, { kind: 'base-changed', baseDigest: digest('a'), replyTo: ['child-1'] }]);
    expect(s).toMatchObject({ pending: [], waiting: [], requests: [], baseDigest: digest('a'), replyTo: ['child-1'] });
    queueAdvisory(s, advisory('CVE-2026-3'), T);
    absorbQueued(s, cycle);
    expect(cycle.reasons[0]).toEqual({ kind: 'advisories', ids: ['CVE-2026-1', 'CVE-2026-3', 'CVE-2026-9'] });
  });

  test('finishing keeps a bounded record without the advisories, clears the failure and the retry, and answers the waiting children once', () => {
    const s = settled();
    s.cycles = Array.from({ length: KEEP_CYCLES }, (_, i) => ({ number: i + 1, reasons: [], startedAt: T }));
    s.nextCycle = KEEP_CYCLES + 1;
    queueAdvisory(s, advisory('CVE-2026-1'), T);
    const cycle = beginCycle(s, T);
    Object.assign(s, { phase: 'failed', failure: { stage: 'testing', activity: 'testImage', type: 'X', message: 'm', at: T }, retryRequested: true, replyTo: ['c1'] });
    finishCycle(s, cycle, T);
    expect(s.cycles).toHaveLength(KEEP_CYCLES);
    expect(s.cycles.at(-1)).not.toHaveProperty('advisories');
    expect(s).toMatchObject({ phase: 'idle', current: undefined, failure: undefined, retryRequested: undefined });
    expect(repliesToWaiting(s, { outcome: 'published' })).toEqual([{ to: 'c1', reply: { outcome: 'published' } }]);
    expect(repliesToWaiting(s, { outcome: 'published' })).toEqual([]);
  });

  test('first builds, explicit requests, new bases and rollbacks do not wait for the debounce; advisories and upstream changes do', () => {
    expect(isUrgent([{ kind: 'initial' }])).toBe(true);
    expect(isUrgent([{ kind: 'base-changed', baseDigest: digest('a') }])).toBe(true);
    expect(isUrgent([{ kind: 'upstream', packages: [] }])).toBe(false);
    expect(isUrgent([])).toBe(false);
  });
});

test('a rollback is refused while a cycle runs, to the published digest, and to one never published', () => {
  const s = settled();
  s.cycles = [{ number: 1, reasons: [], startedAt: T, outcome: 'published', digest: digest('a') }];
  s.published = { digest: digest('b'), tag: 't', reference: 'r', lockDigest: digest('c'), cycle: 2, at: T };
  expect(rollbackRefusal(s, 'base:runtime', digest('a'))).toBeUndefined();
  expect(rollbackRefusal(s, 'base:runtime', digest('b'))).toMatch(/already the published digest/);
  expect(rollbackRefusal(s, 'base:runtime', digest('e'))).toMatch(/never published .* \(in its last 1 cycles: sha256:a+\)/);
  beginCycle(s, T);
  expect(rollbackRefusal(s, 'base:runtime', digest('a'))).toMatch(/is running cycle 1/);
});

describe('time to fix', () => {
  it('starts when an advisory first arrives and ends when the publish of its fixing cycle moves the tag', () => {
    const state = settled();
    queueAdvisory(state, advisory('CVE-2026-0001'), '2026-12-04T10:00:00.000Z');
    // A newer record of the same issue does not move the start.
    queueAdvisory(state, advisory('CVE-2026-0001', 'openssl', '3.0.17-1~deb12u1'), '2026-12-04T11:00:00.000Z');
    expect(state.learnedAt).toEqual({ 'CVE-2026-0001 openssl': '2026-12-04T10:00:00.000Z' });
    handleAdvisory(state, advisory('CVE-2026-0001', 'openssl', '3.0.17-1~deb12u1'), { status: 'fixed', version: '3.0.17-1~deb12u1', inCycle: 4 }, '2026-12-04T12:00:00.000Z');
    expect(state.learnedAt).toEqual({});
    markFixesPublished(state, 3, '2026-12-04T12:01:00.000Z');
    expect(state.handled[0]?.publishedAt).toBeUndefined();
    markFixesPublished(state, 4, '2026-12-04T12:02:00.000Z');
    markFixesPublished(state, 4, '2026-12-04T13:00:00.000Z');
    expect(state.handled[0]).toMatchObject({ learnedAt: '2026-12-04T10:00:00.000Z', publishedAt: '2026-12-04T12:02:00.000Z' });
  });
});
