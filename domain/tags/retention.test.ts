import { planRetention } from './retention';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const now = new Date('2026-12-07T12:00:00Z');
const policy = { keepDays: 30, keepNewest: 2 };

describe('unique tag retention', () => {
  it('expires unique tags older than the window beyond the newest few, never a digest something still names', () => {
    const plan = planRetention([
      { tag: 'trixie', digest: d('e') },
      { tag: 'trixie-20261206.5', digest: d('e') },
      { tag: 'trixie-20261101.4', digest: d('d') }, // old, past the newest 2: goes
      { tag: 'trixie-20261001.3', digest: d('c') }, // old: goes
      { tag: 'trixie-20260901.2', digest: d('b') }, // old, but a customization is built on it: stays
      { tag: 'trixie-20260801.1', digest: d('a') }, // old, but a moving tag still names it (rolled back to): stays
      { tag: 'trixie-app', digest: d('f'), baseDigest: d('b') },
      { tag: 'latest', digest: d('a') },
      { tag: `sha256-${'c'.repeat(64)}.sig`, digest: d('9') },
      { tag: 'trixie-20261107.6', digest: d('8') }, // the second newest: stays
    ], policy, now);
    expect(plan.expired).toEqual([{ tag: 'trixie-20261101.4', digest: d('d') }, { tag: 'trixie-20261001.3', digest: d('c') }]);
    expect(plan.digests).toEqual([d('d'), d('c')]);
    expect(plan.kept).toBe(7);
  });

  it('keeps a tag published on the cutoff day, and the platforms another kept index still lists', () => {
    const plan = planRetention([
      { tag: 'trixie-20261107.3', digest: d('c'), platforms: [d('1'), d('2')] },
      { tag: 'trixie-20261106.2', digest: d('b'), platforms: [d('1'), d('3')] },
      { tag: 'trixie-20261105.1', digest: d('a'), platforms: [d('4'), d('3')] },
    ], { keepDays: 31, keepNewest: 0 }, now);
    // The cutoff is 2026-11-06T12:00Z: the 6th's tag stays, the 5th's goes; platform 3 is still in the 6th's index.
    expect(plan.expired.map((e) => e.tag)).toEqual(['trixie-20261105.1']);
    expect(plan.platforms).toEqual([d('4')]);
  });
});
