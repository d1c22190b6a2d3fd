import { installedPackages } from '../debian/installed';
import { type ArchiveOrigin, type BinaryPackage, PackageIndex, parsePackagesIndex } from '../debian/packages';
import { UnknownPackageError, UnsatisfiableError } from '../debian/resolve';
import { type CustomLock, customLockChanges, customLockRequest, customLockRequestDigest, lockMisfits, resolveExtras } from './lock';
import { CustomizationSchema } from './schema';

const BOOKWORM: ArchiveOrigin = { archive: 'http://deb.debian.org/debian', suite: 'bookworm', component: 'main' };

/** Packages from short stanzas; Architecture (amd64), Filename, Size and SHA256 are filled in. */
function archive(...stanzas: string[]): BinaryPackage[] {
  const text = stanzas
    .map((stanza) => {
      const name = /^Package: (\S+)/m.exec(stanza)?.[1];
      return `${stanza}\nArchitecture: amd64\nFilename: pool/${name}.deb\nSize: 1\nSHA256: ${'1'.repeat(64)}\n`;
    })
    .join('\n');
  const { packages, problems } = parsePackagesIndex(text, BOOKWORM);
  expect(problems).toEqual([]);
  return packages;
}

const status = (...stanzas: string[]) => stanzas.map((s) => `${s}\nStatus: install ok installed\nArchitecture: amd64\n`).join('\n');

const INDEX = new PackageIndex(
  archive(
    'Package: libc6\nVersion: 2.36-9+deb12u14',
    'Package: libc6\nVersion: 2.36-9+deb12u7',
    'Package: libssl3\nVersion: 3.0.17-1~deb12u2\nDepends: libc6 (>= 2.34)',
    'Package: curl\nVersion: 7.88.1-10\nDepends: libc6 (>= 2.34), libcurl4 (= 7.88.1-10)',
    'Package: libcurl4\nVersion: 7.88.1-10\nDepends: libc6 (>= 2.34), libssl3 (>= 3.0.0)',
    'Package: needs-new-glibc\nVersion: 1\nDepends: libc6 (>= 2.38)',
    'Package: uses-perl\nVersion: 1\nDepends: perl-base',
    'Package: perl-base\nVersion: 5.36',
  ),
);
const BASE_STATUS = status('Package: libc6\nVersion: 2.36-9+deb12u7', 'Package: libssl3\nVersion: 3.0.17-1~deb12u2\nDepends: libc6 (>= 2.34)');

function lockFor(packages: string[], options: { exclude?: string[]; previous?: CustomLock; installed?: string } = {}): CustomLock {
  const c = CustomizationSchema.parse({ name: 'app', description: 'd', base: { image: 'base' }, tagSuffix: 'app', packages });
  const request = customLockRequest(c, options.exclude ?? []);
  return resolveExtras({
    customization: 'app', request, requestDigest: customLockRequestDigest(request), index: INDEX,
    installed: installedPackages(options.installed ?? BASE_STATUS), archives: [{ uri: BOOKWORM.archive, suites: ['bookworm'] }],
    previous: options.previous, now: new Date('2026-01-02T03:04:05Z'),
  });
}

describe('resolveExtras', () => {
  it('locks only what the base lacks, and the base installed version stands in for its name', () => {
    const lock = lockFor(['curl']);
    expect(lock.packages.map((p) => `${p.name}=${p.version}`)).toEqual(['curl=7.88.1-10', 'libcurl4=7.88.1-10']);
    expect(lock.base).toEqual({ image: 'base', release: 'bookworm', variant: 'runtime' });
    expect(lock.sourceDateEpoch).toBe(Date.parse('2026-01-02T03:04:05Z') / 1000);
  });

  it('fails, naming the chain, when an extra needs a newer version than the base has (never a second copy)', () => {
    expect(() => lockFor(['needs-new-glibc'])).toThrow(UnsatisfiableError);
    expect(() => lockFor(['needs-new-glibc'])).toThrow(/libc6 \(>= 2\.38\).*only 2\.36-9\+deb12u7 available/);
  });

  it('treats the base exclusions as present', () => {
    expect(lockFor(['uses-perl'], { exclude: ['perl-base'] }).packages.map((p) => p.name)).toEqual(['uses-perl']);
    expect(lockFor(['uses-perl']).packages.map((p) => p.name)).toEqual(['perl-base', 'uses-perl']);
  });

  it('asks for nothing when the base has the package already', () => {
    expect(lockFor(['libssl3']).packages).toEqual([]);
  });

  it('refuses a package the archive does not have', () => {
    expect(() => lockFor(['no-such-package'])).toThrow(UnknownPackageError);
  });

  it('keeps the previous epoch when the package set is unchanged, so digests stay put', () => {
    const first = lockFor(['curl']);
    const again = lockFor(['curl'], { previous: { ...first, sourceDateEpoch: 1000 } });
    expect(again.sourceDateEpoch).toBe(1000);
    expect(customLockChanges(first, again)).toEqual([]);
    expect(customLockChanges(undefined, first)).toEqual(['+ curl 7.88.1-10', '+ libcurl4 7.88.1-10']);
  });
});

describe('lockMisfits', () => {
  const locked = installedPackages(status('Package: libcurl4\nVersion: 7.88.1-10\nDepends: libc6 (>= 2.34), libssl3 (= 3.0.17-1~deb12u2), perl-base'));

  it('accepts a lock whose dependencies the base satisfies (unknown names are left to the resolver)', () => {
    expect(lockMisfits(locked, installedPackages(BASE_STATUS))).toEqual([]);
  });

  it('notices an exact dependency on a library the base has patched', () => {
    const patched = BASE_STATUS.replace('3.0.17-1~deb12u2', '3.0.18-1~deb12u1');
    expect(lockMisfits(locked, installedPackages(patched))).toEqual(['libcurl4 7.88.1-10 needs libssl3 (= 3.0.17-1~deb12u2), the base has libssl3 3.0.18-1~deb12u1']);
  });

  it('notices an extra the base now ships itself', () => {
    const grown = BASE_STATUS + '\n' + status('Package: libcurl4\nVersion: 7.88.1-11');
    expect(lockMisfits(locked, installedPackages(grown))).toContain('libcurl4 is now in the base image (7.88.1-11)');
  });
});
