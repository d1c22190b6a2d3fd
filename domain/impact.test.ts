import fc from 'fast-check';
import type { Advisory } from './advisory/record';
import type { InstalledPackage } from './debian/status';
import { compareVersions } from './debian/version';
import { assessImpact, assessImpactOnImages, indexBySource } from './impact';

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
    const impact = assessImpact(advisory({ status: 'no-fix', fixedVersion: null, reason: 'postponed' }), oldOpenssl);
    expect(impact).toMatchObject({ affected: true, verdict: 'no-fix-yet' });
    expect(impact.explanation).toBe('no fixed openssl in bookworm yet (postponed); installed: openssl 3.0.11-1~deb12u2 (libssl3, openssl)');
  });

  it('does not count not-affected or undetermined advisories', () => {
    expect(assessImpact(advisory({ status: 'not-affected', fixedVersion: null }), oldOpenssl)).toMatchObject({ affected: false, verdict: 'not-affected' });
    expect(assessImpact(advisory({ status: 'undetermined', fixedVersion: null }), oldOpenssl)).toMatchObject({ affected: false, verdict: 'undetermined' });
  });

  it('accepts a prebuilt index', () => {
    expect(assessImpact(advisory(), indexBySource(oldOpenssl))).toEqual(assessImpact(advisory(), oldOpenssl));
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

  it('assessing many images agrees with assessing one at a time', () => {
    fc.assert(
      fc.property(fc.array(anyAdvisoryArb, { maxLength: 8 }), fc.array(packagesArb, { maxLength: 4 }), (advisories, packageSets) => {
        const images = packageSets.map((packages, i) => ({ id: `image-${i}`, packages }));
        const results = assessImpactOnImages(advisories, images);
        results.forEach(({ impacts }, i) => {
          const expected = advisories
            .map((adv) => ({ advisory: adv, impact: assessImpact(adv, packageSets[i] ?? []) }))
            .filter(({ impact }) => impact.verdict !== 'not-installed');
          expect(impacts).toEqual(expected);
        });
      }),
    );
  });
});
