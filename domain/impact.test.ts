import fc from 'fast-check';
import type { Advisory } from './advisory/record';
import type { InstalledPackage } from './debian/status';
import { compareVersions } from './debian/version';
import { advisoryAppliesTo, assessImpact, assessImpactOnImages, indexBySource, scanVerdicts } from './impact';

function pkg(name: string, version: string, source = name, sourceVersion = version, architecture = 'amd64'): InstalledPackage {
  return { name, version, architecture, source, sourceVersion };
}

function advisory(overrides: Partial<Advisory> = {}): Advisory {
  return {
    id: 'CVE-2024-5535',
    aliases: [],
    source: 'openssl',
    fixedVersion: '3.0.14-1~deb12u1',
    status: 'fixed',
    severity: 'medium',
    origin: 'debian-tracker',
    ...overrides,
  };
}

const oldOpenssl = [
  pkg('libssl3', '3.0.11-1~deb12u2', 'openssl'),
  pkg('openssl', '3.0.11-1~deb12u2'),
  pkg('libc6', '2.36-9+deb12u7', 'glibc'),
];

describe('assessImpact', () => {
  it('is affected when a binary\'s source version is older than the fix', () => {
    const impact = assessImpact(advisory(), oldOpenssl);
    expect(impact).toEqual({
      affected: true,
      verdict: 'affected',
      matches: [
        { binary: 'libssl3', version: '3.0.11-1~deb12u2', source: 'openssl', sourceVersion: '3.0.11-1~deb12u2', fixedVersion: '3.0.14-1~deb12u1' },
        { binary: 'openssl', version: '3.0.11-1~deb12u2', source: 'openssl', sourceVersion: '3.0.11-1~deb12u2', fixedVersion: '3.0.14-1~deb12u1' },
      ],
      explanation: 'installed openssl 3.0.11-1~deb12u2 (libssl3, openssl) is older than the fix openssl 3.0.14-1~deb12u1',
    });
  });

  it('is fixed in the image at or above the fix', () => {
    const packages = [pkg('libssl3', '3.0.14-1~deb12u1', 'openssl'), pkg('openssl', '3.0.15-1~deb12u1')];
    const impact = assessImpact(advisory(), packages);
    expect(impact).toMatchObject({ affected: false, verdict: 'fixed-in-image' });
    expect(impact.matches.map((m) => m.binary)).toEqual(['libssl3', 'openssl']);
    expect(impact.explanation).toBe(
      'installed openssl 3.0.14-1~deb12u1 (libssl3); openssl 3.0.15-1~deb12u1 (openssl) already includes the fix openssl 3.0.14-1~deb12u1',
    );
  });

  it('compares the source version, not the binNMU binary version', () => {
    // libfoo1 1.2-3+b1 is a rebuild of source foo 1.2-3: fixed in 1.2-3+b1 would be wrong.
    const binNmu = [pkg('libfoo1', '1.2-3+b1', 'foo', '1.2-3')];
    expect(assessImpact(advisory({ source: 'foo', fixedVersion: '1.2-3' }), binNmu).verdict).toBe('fixed-in-image');
    expect(assessImpact(advisory({ source: 'foo', fixedVersion: '1.2-4' }), binNmu).verdict).toBe('affected');
    // A binary versioned apart from its source (here with an epoch) is above the fix, its source is not.
    const libgcc = [pkg('libgcc1', '1:12.2.0-14', 'gcc-12', '12.2.0-14')];
    expect(assessImpact(advisory({ source: 'gcc-12', fixedVersion: '12.2.0-14+deb12u1' }), libgcc).affected).toBe(true);
  });

  it('names only the binaries still below the fix when some are already updated', () => {
    const mixed = [pkg('libssl3', '3.0.14-1~deb12u1', 'openssl'), pkg('openssl', '3.0.11-1~deb12u2')];
    expect(assessImpact(advisory(), mixed).matches.map((m) => m.binary)).toEqual(['openssl']);
  });

  it('is not installed when no binary comes from the source, whatever the status', () => {
    for (const status of ['fixed', 'no-fix', 'not-affected', 'undetermined'] as const) {
      const impact = assessImpact(advisory({ source: 'curl', status, fixedVersion: status === 'fixed' ? '7.88.1-10+deb12u4' : null }), oldOpenssl);
      expect(impact).toEqual({ affected: false, verdict: 'not-installed', matches: [], explanation: 'no installed package is built from source curl' });
    }
  });

  it('keeps an advisory without a fix pending: no-fix-yet counts as affected', () => {
    const impact = assessImpact(advisory({ status: 'no-fix', fixedVersion: null, reason: 'postponed' }), oldOpenssl, 'bookworm');
    expect(impact).toMatchObject({ affected: true, verdict: 'no-fix-yet' });
    expect(impact.explanation).toBe('no fixed openssl in bookworm yet (postponed); installed: openssl 3.0.11-1~deb12u2 (libssl3, openssl)');
    // Neither the record nor the image names a release: the explanation names none either.
    expect(assessImpact(advisory({ status: 'no-fix', fixedVersion: null }), oldOpenssl).explanation).toBe('no fixed openssl yet; installed: openssl 3.0.11-1~deb12u2 (libssl3, openssl)');
  });

  it('does not count not-affected or undetermined advisories', () => {
    expect(assessImpact(advisory({ status: 'not-affected', fixedVersion: null }), oldOpenssl)).toMatchObject({ affected: false, verdict: 'not-affected' });
    expect(assessImpact(advisory({ status: 'undetermined', fixedVersion: null }), oldOpenssl)).toMatchObject({ affected: false, verdict: 'undetermined' });
  });

  it('accepts a prebuilt index', () => {
    expect(assessImpact(advisory(), indexBySource(oldOpenssl))).toEqual(assessImpact(advisory(), oldOpenssl));
  });
});

describe('assessImpact across releases', () => {
  // The same fix reaches each release as its own upload.
  const trixieFix = advisory({ fixedVersion: '3.5.1-1+deb13u1', release: 'trixie' });
  const bookwormOpen = advisory({ status: 'no-fix', fixedVersion: null, release: 'bookworm' });
  const bookwormImage = oldOpenssl;
  const trixieImage = [pkg('libssl3t64', '3.5.0-1', 'openssl'), pkg('openssl', '3.5.0-1')];

  it('a trixie-only advisory does not affect a bookworm image, and says why', () => {
    expect(assessImpact(trixieFix, bookwormImage, 'bookworm')).toEqual({
      affected: false,
      verdict: 'other-release',
      matches: [],
      explanation: 'the advisory is about openssl in trixie; this image is bookworm',
    });
  });

  it('a trixie-only advisory is judged against a trixie image as usual', () => {
    expect(assessImpact(trixieFix, trixieImage, 'trixie')).toMatchObject({ affected: true, verdict: 'affected' });
    expect(assessImpact(bookwormOpen, trixieImage, 'trixie')).toMatchObject({ affected: false, verdict: 'other-release' });
    expect(assessImpact(bookwormOpen, bookwormImage, 'bookworm')).toMatchObject({ affected: true, verdict: 'no-fix-yet' });
  });

  it('a release-less advisory applies to every release, against what each image has', () => {
    const everywhere = advisory({ fixedVersion: '3.5.1-1+deb13u1' });
    expect(assessImpact(everywhere, bookwormImage, 'bookworm')).toMatchObject({ affected: true, verdict: 'affected' });
    expect(assessImpact(everywhere, trixieImage, 'trixie')).toMatchObject({ affected: true, verdict: 'affected' });
    const upgraded = [pkg('libssl3t64', '3.5.1-1+deb13u1', 'openssl')];
    expect(assessImpact(everywhere, upgraded, 'trixie')).toMatchObject({ affected: false, verdict: 'fixed-in-image' });
  });

  it('an image without a release is judged by every advisory: it cannot rule one out', () => {
    expect(assessImpact(trixieFix, bookwormImage)).toMatchObject({ affected: true, verdict: 'affected' });
    expect(advisoryAppliesTo(trixieFix, undefined)).toBe(true);
    expect(advisoryAppliesTo(trixieFix, 'bookworm')).toBe(false);
    expect(advisoryAppliesTo(advisory(), 'bookworm')).toBe(true);
  });

  it('is other-release before not-installed: the record is about another image entirely', () => {
    expect(assessImpact(advisory({ source: 'curl', release: 'trixie' }), bookwormImage, 'bookworm').verdict).toBe('other-release');
  });

  it('leaves another release\'s advisories out of an image\'s impacts', () => {
    const images = [
      { id: 'image:base:bookworm:runtime', packages: bookwormImage, release: 'bookworm' as const },
      { id: 'image:base:trixie:runtime', packages: trixieImage, release: 'trixie' as const },
    ];
    const [bookworm, trixie] = assessImpactOnImages([trixieFix, bookwormOpen], images);
    expect(bookworm?.impacts.map(({ advisory: a, impact }) => `${a.release} ${impact.verdict}`)).toEqual(['bookworm no-fix-yet']);
    expect(trixie?.impacts.map(({ advisory: a, impact }) => `${a.release} ${impact.verdict}`)).toEqual(['trixie affected']);
  });

  it('scans another release\'s advisory as not present in the image', () => {
    const [verdict] = scanVerdicts([trixieFix], bookwormImage, 'bookworm');
    expect(verdict).toEqual({ key: 'CVE-2024-5535/openssl@3.5.1-1+deb13u1#trixie', present: false, fixed: false });
    expect(scanVerdicts([trixieFix], trixieImage, 'trixie')[0]).toMatchObject({ present: true, fixed: false, installedSourceVersion: '3.5.0-1' });
  });
});

describe('assessImpactOnImages', () => {
  it('reports each image\'s relevant advisories, leaving out the not-installed ones', () => {
    const advisories = [advisory(), advisory({ id: 'CVE-2023-4911', source: 'glibc', fixedVersion: '2.36-9+deb12u3' }), advisory({ source: 'curl' })];
    const images = [
      { id: 'image:base:runtime', packages: oldOpenssl },
      { id: 'image:static:runtime', packages: [pkg('base-files', '12.4+deb12u5')] },
    ];
    const [base, staticImage] = assessImpactOnImages(advisories, images);
    expect(base?.imageId).toBe('image:base:runtime');
    expect(base?.impacts.map(({ advisory: a, impact }) => `${a.id} ${impact.verdict}`)).toEqual(['CVE-2024-5535 affected', 'CVE-2023-4911 fixed-in-image']);
    expect(staticImage).toEqual({ imageId: 'image:static:runtime', impacts: [] });
  });
});

describe('impact invariants', () => {
  const sources = ['openssl', 'glibc', 'zlib', 'curl'] as const;
  const versionArb = fc
    .tuple(fc.nat(1), fc.nat(4), fc.nat(20), fc.constantFrom('', '~rc1', '+dfsg'), fc.integer({ min: 1, max: 4 }), fc.constantFrom('', '~deb12u1', '+deb12u2', '+b1'))
    .map(([epoch, major, minor, upstreamSuffix, revision, revisionSuffix]) =>
      `${epoch > 0 ? `${epoch}:` : ''}${major}.${minor}${upstreamSuffix}-${revision}${revisionSuffix}`,
    );
  const packageArb = fc
    .record({ binary: fc.constantFrom('lib', 'bin', 'dev', 'common'), source: fc.constantFrom(...sources), version: versionArb, sourceVersion: versionArb, arch: fc.constantFrom('amd64', 'all') })
    .map(({ binary, source, version, sourceVersion, arch }) => pkg(`${source}-${binary}`, version, source, sourceVersion, arch));
  const packagesArb = fc.array(packageArb, { maxLength: 12 });
  /** Few names and versions, so near-duplicates (same name, arch and version, another source version) are common. */
  const crowdedPackagesArb = fc.array(
    fc
      .record({ source: fc.constantFrom('openssl', 'glibc'), version: fc.constantFrom('1.0-1', '1.0-1+b1'), sourceVersion: fc.constantFrom('1.0-1', '1.0-2', '1.0-3') })
      .map(({ source, version, sourceVersion }) => pkg(`lib${source}`, version, source, sourceVersion)),
    { maxLength: 12 },
  );
  const fixedAdvisoryArb = fc.record({ source: fc.constantFrom(...sources), fixedVersion: versionArb }).map((a) => advisory(a));
  const anyAdvisoryArb = fc.oneof(
    fixedAdvisoryArb,
    fc.record({ source: fc.constantFrom(...sources), status: fc.constantFrom('no-fix', 'not-affected', 'undetermined' as const) }).map(({ source, status }) =>
      advisory({ source, status, fixedVersion: null }),
    ),
  );

  it('an image whose source versions are all at or above the fix is never affected', () => {
    fc.assert(
      fc.property(fixedAdvisoryArb, packagesArb, (adv, packages) => {
        const fixed = adv.fixedVersion as string;
        const upgraded = packages.map((p) => (p.source === adv.source && compareVersions(p.sourceVersion, fixed) < 0 ? { ...p, sourceVersion: fixed } : p));
        expect(assessImpact(adv, upgraded).affected).toBe(false);
      }),
    );
  });

  it('a binary whose source version is below the fix always makes the image affected', () => {
    fc.assert(
      fc.property(fixedAdvisoryArb, packagesArb, packageArb, (adv, packages, extra) => {
        const fixed = adv.fixedVersion as string;
        fc.pre(compareVersions(extra.sourceVersion, fixed) < 0);
        const impact = assessImpact(adv, [...packages, { ...extra, source: adv.source }]);
        expect(impact).toMatchObject({ affected: true, verdict: 'affected' });
        expect(impact.matches.every((m) => compareVersions(m.sourceVersion, fixed) < 0)).toBe(true);
      }),
    );
  });

  it('an advisory for a source that is not installed never affects the image', () => {
    fc.assert(
      fc.property(anyAdvisoryArb, packagesArb, (adv, packages) => {
        const impact = assessImpact({ ...adv, source: 'nghttp2' }, packages);
        expect(impact).toMatchObject({ affected: false, verdict: 'not-installed', matches: [] });
      }),
    );
  });

  it('not-affected never affects, and no-fix affects whenever the source is installed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...sources), packagesArb, (source, packages) => {
        const installed = packages.some((p) => p.source === source);
        expect(assessImpact(advisory({ source, status: 'not-affected', fixedVersion: null }), packages).affected).toBe(false);
        expect(assessImpact(advisory({ source, status: 'no-fix', fixedVersion: null }), packages).affected).toBe(installed);
      }),
    );
  });

  it('the result does not depend on package order', () => {
    const packagesAndShuffleArb = fc.oneof(packagesArb, crowdedPackagesArb).chain((packages) =>
      fc.tuple(fc.constant(packages), fc.shuffledSubarray(packages, { minLength: packages.length, maxLength: packages.length })),
    );
    fc.assert(
      fc.property(anyAdvisoryArb, packagesAndShuffleArb, (adv, [packages, shuffled]) => {
        expect(assessImpact(adv, shuffled)).toEqual(assessImpact(adv, packages));
      }),
      { numRuns: 300 },
    );
  });

  const releaseArb = fc.constantFrom(undefined, 'trixie' as const, 'bookworm' as const);
  const releasedAdvisoryArb = fc.tuple(anyAdvisoryArb, releaseArb).map(([adv, release]) => (release ? { ...adv, release } : adv));

  it('assessing many images agrees with assessing one at a time', () => {
    fc.assert(
      fc.property(fc.array(releasedAdvisoryArb, { maxLength: 8 }), fc.array(fc.tuple(packagesArb, releaseArb), { maxLength: 4 }), (advisories, imageArbs) => {
        const images = imageArbs.map(([packages, release], i) => ({ id: `image-${i}`, packages, ...(release ? { release } : {}) }));
        const results = assessImpactOnImages(advisories, images);
        results.forEach(({ impacts }, i) => {
          const [packages, release] = imageArbs[i] ?? [[], undefined];
          const expected = advisories
            .map((adv) => ({ advisory: adv, impact: assessImpact(adv, packages, release) }))
            .filter(({ impact }) => impact.verdict !== 'not-installed' && impact.verdict !== 'other-release');
          expect(impacts).toEqual(expected);
        });
      }),
    );
  });

  it('an advisory of one release never affects an image of another', () => {
    fc.assert(
      fc.property(anyAdvisoryArb, packagesArb, (adv, packages) => {
        expect(assessImpact({ ...adv, release: 'trixie' }, packages, 'bookworm')).toMatchObject({ affected: false, verdict: 'other-release', matches: [] });
      }),
    );
  });

  it('a release-less advisory gives every release the verdict it gives an image of unknown release', () => {
    fc.assert(
      fc.property(anyAdvisoryArb, packagesArb, fc.constantFrom('trixie' as const, 'bookworm' as const), (adv, packages, release) => {
        const { verdict, matches, affected } = assessImpact(adv, packages);
        expect(assessImpact(adv, packages, release)).toMatchObject({ verdict, matches, affected });
      }),
    );
  });
});
