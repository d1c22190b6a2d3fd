import type { Advisory } from '../../domain/advisory/record';
import type { Release } from '../../domain/debian/releases';
import type { InstalledPackage } from '../../domain/debian/status';
import { assessImpactOnImages } from '../../domain/impact';
import type { ImageMemory } from './memory';
import { countByReason, type ImagePlan, issueOf, planImage } from './plan';

const T0 = new Date('2025-05-20T10:00:00Z');
const T1 = new Date('2025-05-20T11:00:00Z');
const T2 = new Date('2025-05-20T12:00:00Z');

function pkg(name: string, version: string, source = name, sourceVersion = version): InstalledPackage {
  return { name, version, architecture: 'amd64', source, sourceVersion };
}

const image = [pkg('libssl3', '3.0.15-1~deb12u1', 'openssl'), pkg('libc6', '2.36-9+deb12u7', 'glibc'), pkg('zlib1g', '1:1.2.13.dfsg-1', 'zlib', '1:1.2.13.dfsg-1')];

function advisory(overrides: Partial<Advisory> = {}): Advisory {
  return {
    id: 'CVE-2024-5535',
    aliases: [],
    source: 'openssl',
    fixedVersion: '3.0.16-1~deb12u1',
    status: 'fixed',
    severity: 'medium',
    origin: 'debian-tracker',
    ...overrides,
  };
}

const noFix = (overrides: Partial<Advisory> = {}) => advisory({ status: 'no-fix', fixedVersion: null, ...overrides });
const notAffected = (overrides: Partial<Advisory> = {}) => advisory({ status: 'not-affected', fixedVersion: null, ...overrides });

/** One poll of one image: real impact analysis, the archive's offer as a predicate. */
function poll(
  memory: ImageMemory | undefined,
  advisories: Advisory[],
  options: {
    now?: Date;
    offered?: (a: Advisory) => boolean;
    newer?: string[];
    workflow?: { waiting: ReadonlySet<string>; lastCycleFinishedAt?: string };
    /** The image's release and packages; default the bookworm-era `image` above, release not given. */
    release?: Release;
    packages?: InstalledPackage[];
  } = {},
): ImagePlan {
  const subject = { id: 'image:base:runtime', packages: options.packages ?? image, ...(options.release ? { release: options.release } : {}) };
  const [impacts] = assessImpactOnImages(advisories, [subject]);
  return planImage(
    memory,
    {
      impacts: impacts?.impacts ?? [],
      fixOffered: ({ advisory: a }) => options.offered?.(a) ?? false,
      newerPackages: options.newer ?? [],
      ...(options.workflow ? { workflow: options.workflow } : {}),
    },
    options.now ?? T0,
  );
}

const sent = (plan: ImagePlan) => plan.advisories.map((d) => `${d.advisory.id} ${d.reason}`);

describe('planImage: dedupe by advisory key', () => {
  it('sends an affecting advisory once, then remembers it', () => {
    const first = poll(undefined, [advisory()], { offered: () => true });
    expect(sent(first)).toEqual(['CVE-2024-5535 new']);
    expect(first.memory.advisories['CVE-2024-5535/openssl@3.0.16-1~deb12u1']).toEqual({
      status: 'fixed', fixOffered: true, sentAt: T0.toISOString(), seenAt: T0.toISOString(),
    });

    const second = poll(first.memory, [advisory()], { now: T1, offered: () => true });
    expect(second.advisories).toEqual([]);
    expect(second.affecting).toBe(1);
    expect(second.remembered).toEqual({ advisories: 1, packages: 0 });
    expect(second.memory.advisories['CVE-2024-5535/openssl@3.0.16-1~deb12u1']).toMatchObject({ sentAt: T0.toISOString(), seenAt: T1.toISOString() });
  });

  it('sends again when Debian names another fixed version: a new key', () => {
    const first = poll(undefined, [advisory()]);
    const revised = poll(first.memory, [advisory({ fixedVersion: '3.0.17-1~deb12u1' })], { now: T1 });
    expect(sent(revised)).toEqual(['CVE-2024-5535 new']);
    expect(Object.keys(revised.memory.advisories).sort()).toEqual([
      'CVE-2024-5535/openssl@3.0.16-1~deb12u1',
      'CVE-2024-5535/openssl@3.0.17-1~deb12u1',
    ]);
  });

  it('keeps one memory per advisory key: the same CVE in two sources is two deliveries', () => {
    const plan = poll(undefined, [advisory(), advisory({ source: 'glibc', fixedVersion: '2.36-9+deb12u8' })]);
    expect(plan.advisories.map((d) => issueOf(d.advisory))).toEqual(['CVE-2024-5535/openssl', 'CVE-2024-5535/glibc']);
  });

  it('sends advisories with no fix yet and undetermined ones: the image shows them pending', () => {
    const plan = poll(undefined, [noFix({ id: 'CVE-2024-0001' }), advisory({ id: 'CVE-2024-0002', status: 'undetermined', fixedVersion: null })]);
    expect(sent(plan)).toEqual(['CVE-2024-0001 new', 'CVE-2024-0002 new']);
    expect(plan.memory.advisories['CVE-2024-0001/openssl@none']?.fixOffered).toBe(false);
  });

  it('sends nothing for advisories the image is not affected by', () => {
    const plan = poll(undefined, [
      advisory({ fixedVersion: '3.0.11-1~deb12u2' }), // already fixed in the image
      notAffected({ id: 'CVE-2024-0003' }), // Debian: never affected, never sent before
      advisory({ id: 'CVE-2024-0004', source: 'curl', fixedVersion: '7.88.1-10+deb12u9' }), // not installed
    ]);
    expect(plan.advisories).toEqual([]);
    expect(plan.memory.advisories).toEqual({});
    expect(plan.affecting).toBe(0);
    expect(plan.remembered.advisories).toBe(0);
  });

  it('does not change the memory it was given', () => {
    const first = poll(undefined, [advisory()]);
    const frozen = structuredClone(first.memory);
    poll(first.memory, [advisory({ fixedVersion: '3.0.17-1~deb12u1' })], { now: T1, offered: () => true });
    expect(first.memory).toEqual(frozen);
  });
});

describe('planImage: the fix arrives in the archive', () => {
  it('re-sends once an advisory first sent before the archive offered its fix', () => {
    const first = poll(undefined, [advisory()], { offered: () => false });
    expect(sent(first)).toEqual(['CVE-2024-5535 new']);
    expect(first.memory.advisories['CVE-2024-5535/openssl@3.0.16-1~deb12u1']?.fixOffered).toBe(false);

    const stillWaiting = poll(first.memory, [advisory()], { now: T1, offered: () => false });
    expect(stillWaiting.advisories).toEqual([]);

    const arrived = poll(stillWaiting.memory, [advisory()], { now: T2, offered: () => true });
    expect(sent(arrived)).toEqual(['CVE-2024-5535 fix-arrived']);
    expect(arrived.memory.advisories['CVE-2024-5535/openssl@3.0.16-1~deb12u1']).toEqual({
      status: 'fixed', fixOffered: true, sentAt: T2.toISOString(), seenAt: T2.toISOString(),
    });

    const after = poll(arrived.memory, [advisory()], { now: T2, offered: () => true });
    expect(after.advisories).toEqual([]);
  });

  it('never nudges an advisory whose fix was offered when it was first sent', () => {
    const first = poll(undefined, [advisory()], { offered: () => true });
    const later = poll(first.memory, [advisory()], { now: T1, offered: () => true });
    expect(countByReason([first, later])).toEqual({ new: 1, 'fix-arrived': 0, 'still-waiting': 0, retraction: 0 });
  });

  it('does not ask the archive about advisories without a fixed version', () => {
    const offered = jest.fn(() => true);
    const plan = poll(undefined, [noFix()], { offered });
    expect(offered).not.toHaveBeenCalled();
    expect(plan.memory.advisories['CVE-2024-5535/openssl@none']?.fixOffered).toBe(false);
  });

  it('sends a no-fix advisory that later names a fix as a new key, offered or not', () => {
    const first = poll(undefined, [noFix()]);
    const fixed = poll(first.memory, [advisory()], { now: T1, offered: () => false });
    expect(sent(fixed)).toEqual(['CVE-2024-5535 new']);
    const arrived = poll(fixed.memory, [advisory()], { now: T2, offered: () => true });
    expect(sent(arrived)).toEqual(['CVE-2024-5535 fix-arrived']);
  });
});

describe('planImage: the image still waits for an offered fix', () => {
  const key = 'CVE-2024-5535/openssl@3.0.16-1~deb12u1';
  const waiting = new Set([key]);

  it('sends again when a cycle finished after the delivery and left it waiting (its resolve saw an older archive)', () => {
    const nudged = poll(poll(undefined, [advisory()]).memory, [advisory()], { now: T1, offered: () => true });
    expect(sent(nudged)).toEqual(['CVE-2024-5535 fix-arrived']);
    const stuck = poll(nudged.memory, [advisory()], { now: T2, offered: () => true, workflow: { waiting, lastCycleFinishedAt: '2025-05-20T11:00:30Z' } });
    expect(sent(stuck)).toEqual(['CVE-2024-5535 still-waiting']);
    expect(stuck.memory.advisories[key]?.sentAt).toBe(T2.toISOString());
  });

  it('waits for a cycle to act on the last delivery before sending again: never a loop', () => {
    const nudged = poll(poll(undefined, [advisory()]).memory, [advisory()], { now: T1, offered: () => true });
    // No cycle has finished since the nudge (the workflow is debouncing or building).
    const busy = poll(nudged.memory, [advisory()], { now: T2, offered: () => true, workflow: { waiting, lastCycleFinishedAt: '2025-05-20T10:30:00Z' } });
    expect(busy.advisories).toEqual([]);
    // A cycle finished and handled it: the workflow no longer waits.
    const handled = poll(nudged.memory, [advisory()], { now: T2, offered: () => true, workflow: { waiting: new Set(), lastCycleFinishedAt: '2025-05-20T11:00:30Z' } });
    expect(handled.advisories).toEqual([]);
  });

  it('does not resend while the archive still lacks the fix, however many cycles pass', () => {
    const first = poll(undefined, [advisory()], { offered: () => false });
    const later = poll(first.memory, [advisory()], { now: T2, offered: () => false, workflow: { waiting, lastCycleFinishedAt: '2025-05-20T11:00:30Z' } });
    expect(later.advisories).toEqual([]);
  });
});

describe('planImage: retraction', () => {
  it('sends "not affected" once for an advisory sent earlier, and forgets the earlier keys', () => {
    const first = poll(undefined, [noFix()]);
    const retracted = poll(first.memory, [notAffected()], { now: T1 });
    expect(sent(retracted)).toEqual(['CVE-2024-5535 retraction']);
    expect(retracted.memory.advisories).toEqual({
      'CVE-2024-5535/openssl@none': { status: 'not-affected', fixOffered: false, sentAt: T1.toISOString(), seenAt: T1.toISOString() },
    });
    const again = poll(retracted.memory, [notAffected()], { now: T2 });
    expect(again.advisories).toEqual([]);
  });

  it('delivers a fix again if Debian flips back from not affected', () => {
    const first = poll(undefined, [advisory()]);
    const retracted = poll(first.memory, [notAffected()], { now: T1 });
    const flipped = poll(retracted.memory, [advisory()], { now: T2 });
    expect(sent(flipped)).toEqual(['CVE-2024-5535 new']);
  });
});

describe('planImage: upstream package versions', () => {
  it('sends each newer `name version` once', () => {
    const first = poll(undefined, [], { newer: ['libssl3 3.0.16-1~deb12u1'] });
    expect(first.upstream).toEqual(['libssl3 3.0.16-1~deb12u1']);
    const second = poll(first.memory, [], { now: T1, newer: ['libssl3 3.0.16-1~deb12u1', 'libc6 2.36-9+deb12u8'] });
    expect(second.upstream).toEqual(['libc6 2.36-9+deb12u8']);
    expect(second.remembered.packages).toBe(1);
    const third = poll(second.memory, [], { now: T2, newer: ['libssl3 3.0.17-1~deb12u1'] });
    expect(third.upstream).toEqual(['libssl3 3.0.17-1~deb12u1']);
  });
});

describe('planImage: one advisory, two releases', () => {
  const trixieImage = [pkg('libssl3t64', '3.5.0-1', 'openssl'), pkg('libc6', '2.41-12', 'glibc')];
  const trixieFixed = advisory({ fixedVersion: '3.5.1-1+deb13u1', release: 'trixie' });
  const bookwormOpen = noFix({ release: 'bookworm', reason: 'postponed' });
  const bookwormFixed = advisory({ fixedVersion: '3.0.17-1~deb12u2', release: 'bookworm' });
  const feed = [trixieFixed, bookwormOpen];
  const onTrixie = (memory: ImageMemory | undefined, advisories: Advisory[], options: Parameters<typeof poll>[2] = {}) =>
    poll(memory, advisories, { ...options, release: 'trixie', packages: trixieImage });
  const onBookworm = (memory: ImageMemory | undefined, advisories: Advisory[], options: Parameters<typeof poll>[2] = {}) =>
    poll(memory, advisories, { ...options, release: 'bookworm' });

  it('a fix in trixie patches the trixie image only; the bookworm image waits on its own open record', () => {
    const trixie = onTrixie(undefined, feed, { offered: () => true });
    expect(trixie.advisories.map((d) => `${d.advisory.release} ${d.advisory.fixedVersion} ${d.reason}`)).toEqual(['trixie 3.5.1-1+deb13u1 new']);
    expect(Object.keys(trixie.memory.advisories)).toEqual(['CVE-2024-5535/openssl@3.5.1-1+deb13u1#trixie']);

    const bookworm = onBookworm(undefined, feed, { offered: () => true });
    expect(bookworm.advisories.map((d) => `${d.advisory.release} ${d.advisory.status} ${d.reason}`)).toEqual(['bookworm no-fix new']);
    expect(bookworm.memory.advisories).toEqual({
      'CVE-2024-5535/openssl@none#bookworm': { status: 'no-fix', fixOffered: false, sentAt: T0.toISOString(), seenAt: T0.toISOString() },
    });
    expect(bookworm.affecting).toBe(1);
  });

  it('sends bookworm its fix when it comes, days later, and nothing more to trixie', () => {
    const trixie = onTrixie(undefined, feed, { offered: () => true });
    const bookworm = onBookworm(undefined, feed);
    const later = [trixieFixed, bookwormFixed];
    expect(onTrixie(trixie.memory, later, { now: T1, offered: () => true }).advisories).toEqual([]);
    const fixed = onBookworm(bookworm.memory, later, { now: T1, offered: () => false });
    expect(fixed.advisories.map((d) => `${d.advisory.release} ${d.advisory.fixedVersion} ${d.reason}`)).toEqual(['bookworm 3.0.17-1~deb12u2 new']);
    const arrived = onBookworm(fixed.memory, later, { now: T2, offered: () => true });
    expect(sent(arrived)).toEqual(['CVE-2024-5535 fix-arrived']);
  });

  it('keeps one memory entry per release: records of both releases judged on one image never share a key', () => {
    // An image whose release is not given is judged by both records (it cannot rule either out).
    const plan = poll(undefined, [noFix({ release: 'trixie' }), noFix({ release: 'bookworm' })]);
    expect(Object.keys(plan.memory.advisories).sort()).toEqual(['CVE-2024-5535/openssl@none#bookworm', 'CVE-2024-5535/openssl@none#trixie']);
    // Debian then says trixie was never affected: only trixie's key is retracted and forgotten.
    const retracted = poll(plan.memory, [notAffected({ release: 'trixie' }), noFix({ release: 'bookworm' })], { now: T1 });
    expect(retracted.advisories.map((d) => `${d.advisory.release} ${d.reason}`)).toEqual(['trixie retraction']);
    expect(Object.keys(retracted.memory.advisories).sort()).toEqual(['CVE-2024-5535/openssl@none#bookworm', 'CVE-2024-5535/openssl@none#trixie']);
    expect(retracted.memory.advisories['CVE-2024-5535/openssl@none#trixie']?.status).toBe('not-affected');
    expect(retracted.memory.advisories['CVE-2024-5535/openssl@none#bookworm']?.status).toBe('no-fix');
  });

  it('retracts a record about every release when Debian says the image\'s release is not affected', () => {
    const first = onBookworm(undefined, [noFix()]);
    const retracted = onBookworm(first.memory, [notAffected({ release: 'bookworm' })], { now: T1 });
    expect(sent(retracted)).toEqual(['CVE-2024-5535 retraction']);
    expect(Object.keys(retracted.memory.advisories)).toEqual(['CVE-2024-5535/openssl@none#bookworm']);
  });
});

describe('planImage: memory from before releases', () => {
  const oldKey = 'CVE-2024-5535/openssl@3.0.16-1~deb12u1';
  const newKey = `${oldKey}#bookworm`;
  const bookwormRecord = advisory({ release: 'bookworm' });

  it('takes over a bookworm record\'s entry from its key without a release: nothing is sent again', () => {
    const before = poll(undefined, [advisory()], { offered: () => false }).memory;
    expect(Object.keys(before.advisories)).toEqual([oldKey]);
    const after = poll(before, [bookwormRecord], { now: T1, offered: () => false, release: 'bookworm' });
    expect(after.advisories).toEqual([]);
    expect(after.remembered.advisories).toBe(1);
    expect(after.memory.advisories).toEqual({ [newKey]: { status: 'fixed', fixOffered: false, sentAt: T0.toISOString(), seenAt: T1.toISOString() } });
    // The fix arrives: sent once, under the new key.
    const arrived = poll(after.memory, [bookwormRecord], { now: T2, offered: () => true, release: 'bookworm' });
    expect(arrived.advisories.map((d) => `${d.advisory.release} ${d.reason}`)).toEqual(['bookworm fix-arrived']);
  });

  it('still nudges a workflow that waits under the old key', () => {
    const nudged = poll(poll(undefined, [advisory()]).memory, [advisory()], { now: T1, offered: () => true });
    const stuck = poll(nudged.memory, [bookwormRecord], {
      now: T2, offered: () => true, release: 'bookworm', workflow: { waiting: new Set([oldKey]), lastCycleFinishedAt: '2025-05-20T11:00:30Z' },
    });
    expect(stuck.advisories.map((d) => `${d.advisory.release} ${d.reason}`)).toEqual(['bookworm still-waiting']);
  });

  it('takes over nothing for trixie: no memory from before releases is about trixie', () => {
    const before = poll(undefined, [advisory()]).memory;
    const trixie = poll(before, [advisory({ release: 'trixie' })], { now: T1, release: 'trixie' });
    expect(sent(trixie)).toEqual(['CVE-2024-5535 new']);
    expect(Object.keys(trixie.memory.advisories).sort()).toEqual([oldKey, `${oldKey}#trixie`]);
  });
});
