import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { PackageIndex, parsePackagesIndex, type ArchiveOrigin, type BinaryPackage } from './packages';
import {
  ConflictError,
  InvalidRequestError,
  UnknownPackageError,
  UnsatisfiableError,
  VersionNotFoundError,
  resolve,
  type Resolution,
  type ResolveRequest,
} from './resolve';

const BOOKWORM: ArchiveOrigin = { archive: 'http://deb.debian.org/debian', suite: 'bookworm', component: 'main' };
const SECURITY: ArchiveOrigin = { archive: 'http://deb.debian.org/debian-security', suite: 'bookworm-security', component: 'main' };

/** Packages from short stanzas; Architecture (amd64), Filename, Size and SHA256 are filled in. */
function packagesIn(origin: ArchiveOrigin, ...stanzas: string[]): BinaryPackage[] {
  const text = stanzas
    .map((stanza) => {
      const name = /^Package: (\S+)/m.exec(stanza)?.[1];
      const architecture = /^Architecture:/m.test(stanza) ? '' : 'Architecture: amd64\n';
      return `${stanza}\n${architecture}Filename: pool/${name}.deb\nSize: 1\nSHA256: ${'0'.repeat(64)}\n`;
    })
    .join('\n');
  const { packages, problems } = parsePackagesIndex(text, origin);
  expect(problems).toEqual([]);
  return packages;
}

const indexOf = (...stanzas: string[]): PackageIndex => new PackageIndex(packagesIn(BOOKWORM, ...stanzas));
const amd64 = (include: string[], exclude: string[] = []): ResolveRequest => ({ include, exclude, architecture: 'amd64' });
const chosen = (resolution: Resolution): string[] => resolution.packages.map((p) => `${p.name}=${p.version}`);

describe('resolve', () => {
  it('follows Depends and Pre-Depends, not Recommends or Suggests, and says who pulled what', () => {
    const index = indexOf(
      'Package: app\nVersion: 1\nPre-Depends: init\nDepends: libfoo\nRecommends: docs\nSuggests: extras',
      'Package: init\nVersion: 1',
      'Package: libfoo\nVersion: 1\nDepends: libbar',
      'Package: libbar\nVersion: 1',
      'Package: docs\nVersion: 1\nArchitecture: all',
      'Package: extras\nVersion: 1',
    );
    const resolution = resolve(index, amd64(['app']));
    expect(chosen(resolution)).toEqual(['app=1', 'init=1', 'libbar=1', 'libfoo=1']);
    expect(resolution.why).toEqual({ app: 'requested', init: 'app', libfoo: 'app', libbar: 'libfoo' });
  });

  it('takes the newest version over all suites, unless pinned', () => {
    const index = new PackageIndex([
      ...packagesIn(BOOKWORM, 'Package: libc6\nVersion: 2.36-9+deb12u14', 'Package: tzdata\nVersion: 2026b-0+deb12u1\nArchitecture: all'),
      ...packagesIn(SECURITY, 'Package: libc6\nVersion: 2.36-9+deb12u7', 'Package: tzdata\nVersion: 2026f-0+deb12u1\nArchitecture: all'),
    ]);
    const newest = resolve(index, amd64(['libc6', 'tzdata']));
    expect(chosen(newest)).toEqual(['libc6=2.36-9+deb12u14', 'tzdata=2026f-0+deb12u1']);
    expect(newest.packages.map((p) => p.origin.suite)).toEqual(['bookworm', 'bookworm-security']);
    expect(chosen(resolve(index, amd64(['libc6=2.36-9+deb12u7', 'tzdata'])))).toEqual(['libc6=2.36-9+deb12u7', 'tzdata=2026f-0+deb12u1']);
  });

  it('chooses the newest version every constraint seen so far allows', () => {
    const index = indexOf(
      'Package: a\nVersion: 1\nDepends: lib (>= 1.5)',
      'Package: b\nVersion: 1\nDepends: lib (<< 3)',
      'Package: lib\nVersion: 1',
      'Package: lib\nVersion: 2',
      'Package: lib\nVersion: 3',
    );
    expect(chosen(resolve(index, amd64(['a', 'b'])))).toEqual(['a=1', 'b=1', 'lib=2']);
  });

  it('fails with a ConflictError, naming both chains, when a constraint comes after the choice', () => {
    const index = indexOf(
      'Package: app\nVersion: 1\nDepends: y, z',
      'Package: y\nVersion: 1\nDepends: lib',
      'Package: z\nVersion: 1\nDepends: w',
      'Package: w\nVersion: 1\nDepends: lib (<< 2)',
      'Package: lib\nVersion: 1',
      'Package: lib\nVersion: 2',
    );
    const attempt = (): Resolution => resolve(index, amd64(['app']));
    expect(attempt).toThrow(ConflictError);
    expect(attempt).toThrow(
      'lib (<< 2) required by w, required by z, required by app: lib 2 already chosen (required by y, required by app)',
    );
  });

  describe('alternatives', () => {
    const index = indexOf(
      'Package: needs-awk\nVersion: 1\nDepends: gawk | mawk',
      'Package: gawk\nVersion: 1',
      'Package: mawk\nVersion: 1',
      'Package: picky\nVersion: 1\nDepends: missing | libold (>= 2) | libnew',
      'Package: libold\nVersion: 1',
      'Package: libnew\nVersion: 1',
    );

    it('prefer one already chosen', () => {
      expect(chosen(resolve(index, amd64(['mawk', 'needs-awk'])))).toEqual(['mawk=1', 'needs-awk=1']);
    });

    it('else take the first that can be satisfied', () => {
      expect(chosen(resolve(index, amd64(['needs-awk'])))).toEqual(['gawk=1', 'needs-awk=1']);
      expect(chosen(resolve(index, amd64(['picky'])))).toEqual(['libnew=1', 'picky=1']);
    });

    it('name each failed alternative when none can be had', () => {
      const lonely = indexOf('Package: picky\nVersion: 1\nDepends: missing | libold (>= 2)', 'Package: libold\nVersion: 1');
      expect(() => resolve(lonely, amd64(['picky']))).toThrow(
        new UnsatisfiableError(
          'missing | libold (>= 2) required by picky: missing: no package or provider named missing; libold: only 1 available',
        ),
      );
    });
  });

  describe('virtual packages', () => {
    const index = indexOf(
      'Package: needs-awk\nVersion: 1\nDepends: awk',
      'Package: mawk\nVersion: 1\nProvides: awk',
      'Package: gawk\nVersion: 1\nProvides: awk',
      'Package: needs-mta\nVersion: 1\nDepends: mail-transport-agent',
      'Package: mail-transport-agent\nVersion: 1',
      'Package: exim4\nVersion: 1\nProvides: mail-transport-agent',
      'Package: needs-versioned\nVersion: 1\nDepends: libgcc1 (>= 1:12)',
      'Package: libgcc-s1\nVersion: 12\nProvides: libgcc1 (= 1:12)',
      'Package: libgcc-old\nVersion: 1\nProvides: libgcc1',
    );

    it('prefer a provider already chosen', () => {
      expect(chosen(resolve(index, amd64(['mawk', 'needs-awk'])))).toEqual(['mawk=1', 'needs-awk=1']);
    });

    it('else a real package of that name', () => {
      expect(chosen(resolve(index, amd64(['needs-mta'])))).toEqual(['mail-transport-agent=1', 'needs-mta=1']);
    });

    it('else the provider whose name sorts first', () => {
      expect(resolve(index, amd64(['needs-awk'])).why).toEqual({ gawk: 'needs-awk', 'needs-awk': 'requested' });
    });

    it('satisfy a versioned dependency only through a versioned Provides', () => {
      expect(chosen(resolve(index, amd64(['needs-versioned'])))).toEqual(['libgcc-s1=12', 'needs-versioned=1']);
    });

    it('can be requested by their virtual name', () => {
      expect(chosen(resolve(index, amd64(['awk'])))).toEqual(['gawk=1']);
    });
  });

  describe('architectures', () => {
    const index = indexOf(
      'Package: app\nVersion: 1\nDepends: data, python3:any, tool:native',
      'Package: data\nVersion: 1\nArchitecture: all',
      'Package: python3\nVersion: 3.11\nMulti-Arch: allowed',
      'Package: tool\nVersion: 1',
      'Package: cross\nVersion: 1\nDepends: tool:i386',
      'Package: needs-i386-only\nVersion: 1\nDepends: lib32thing',
      'Package: lib32thing\nVersion: 1\nArchitecture: i386',
    );

    it('accept amd64 and all packages, and the :any and :native qualifiers', () => {
      expect(chosen(resolve(index, amd64(['app'])))).toEqual(['app=1', 'data=1', 'python3=3.11', 'tool=1']);
    });

    it('refuse a package only built for another architecture, or another architecture qualifier', () => {
      expect(() => resolve(index, amd64(['needs-i386-only']))).toThrow(
        new UnknownPackageError('lib32thing required by needs-i386-only: lib32thing exists only for i386, not amd64'),
      );
      expect(() => resolve(index, amd64(['cross']))).toThrow(new UnsatisfiableError('tool:i386 required by cross: :i386 is not amd64'));
    });
  });

  describe('exclusions', () => {
    const index = indexOf(
      'Package: ca-certificates\nVersion: 1\nArchitecture: all\nDepends: openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0',
      'Package: openssl\nVersion: 3\nDepends: libssl3',
      'Package: libssl3\nVersion: 3',
      'Package: debconf\nVersion: 1.5\nProvides: debconf-2.0\nPre-Depends: perl-base',
      'Package: cdebconf\nVersion: 0.2\nProvides: debconf-2.0',
      'Package: perl-base\nVersion: 5.36\nEssential: yes',
      'Package: needs-debconf-2\nVersion: 1\nDepends: debconf-2.0',
      'Package: dpkg\nVersion: 1.21\nEssential: yes',
    );

    it('are treated as satisfied and never added, with their dependencies', () => {
      expect(chosen(resolve(index, amd64(['ca-certificates'], ['debconf', 'openssl'])))).toEqual(['ca-certificates=1']);
      expect(chosen(resolve(index, amd64(['ca-certificates'], ['openssl'])))).toEqual(['ca-certificates=1', 'debconf=1.5', 'perl-base=5.36']);
    });

    it('satisfy a virtual name the excluded package provides', () => {
      expect(chosen(resolve(index, amd64(['needs-debconf-2'], ['debconf'])))).toEqual(['needs-debconf-2=1']);
    });

    it('leave Essential packages out when nothing depends on them', () => {
      expect(chosen(resolve(index, amd64(['libssl3'])))).toEqual(['libssl3=3']);
    });
  });

  describe('errors', () => {
    const index = indexOf(
      'Package: baz\nVersion: 2\nDepends: bar',
      'Package: bar\nVersion: 1\nDepends: libfoo (>= 2)',
      'Package: libfoo\nVersion: 1.0',
      'Package: broken\nVersion: 1\nDepends: ghost',
    );

    it.each<[string, ResolveRequest, new (message: string) => Error, string, string]>([
      ['UNSATISFIABLE', amd64(['baz']), UnsatisfiableError, 'UNSATISFIABLE', 'libfoo (>= 2) required by bar, required by baz: only 1.0 available'],
      ['UNKNOWN_PACKAGE, in a dependency', amd64(['broken']), UnknownPackageError, 'UNKNOWN_PACKAGE', 'ghost required by broken: no package or provider named ghost'],
      ['UNKNOWN_PACKAGE, requested', amd64(['ghost']), UnknownPackageError, 'UNKNOWN_PACKAGE', 'ghost requested: no package or provider named ghost'],
      ['VERSION_NOT_FOUND', amd64(['libfoo=2.0']), VersionNotFoundError, 'VERSION_NOT_FOUND', 'libfoo=2.0 requested: only 1.0 available'],
      ['INVALID_REQUEST, bad spec', amd64(['libfoo=']), InvalidRequestError, 'INVALID_REQUEST', 'include: "libfoo=" is not "name" or "name=version"'],
      ['INVALID_REQUEST, bad version', amd64(['libfoo=v1']), InvalidRequestError, 'INVALID_REQUEST', 'include: "libfoo=v1" has an invalid version'],
      ['INVALID_REQUEST, bad exclude', amd64(['baz'], ['Bad Name']), InvalidRequestError, 'INVALID_REQUEST', 'exclude: "Bad Name" is not a package name'],
      ['INVALID_REQUEST, both ways', amd64(['libfoo=1.0'], ['libfoo']), InvalidRequestError, 'INVALID_REQUEST', 'libfoo is both included and excluded'],
    ])('%s', (_what, request, type, code, message) => {
      const attempt = (): Resolution => resolve(index, request);
      expect(attempt).toThrow(type);
      expect(attempt).toThrow(expect.objectContaining({ code, message }));
    });

    it('a pin that contradicts a dependency is a CONFLICT', () => {
      const pinned = indexOf('Package: app\nVersion: 1\nDepends: lib (>= 2)', 'Package: lib\nVersion: 1', 'Package: lib\nVersion: 2');
      expect(() => resolve(pinned, amd64(['app', 'lib=1']))).toThrow(
        new ConflictError('lib (>= 2) required by app: lib is already limited to 1 by lib (= 1) requested'),
      );
    });
  });

  it('gives the same result whatever the order of the index and of the request', () => {
    const stanzas = [
      'Package: app\nVersion: 1\nDepends: awk, lib (>= 1) | libalt, data',
      'Package: mawk\nVersion: 1\nProvides: awk',
      'Package: gawk\nVersion: 1\nProvides: awk',
      'Package: lib\nVersion: 1',
      'Package: lib\nVersion: 2',
      'Package: libalt\nVersion: 1',
      'Package: data\nVersion: 1\nArchitecture: all\nDepends: lib (<< 2) | libalt',
    ];
    const packages = [...packagesIn(BOOKWORM, ...stanzas), ...packagesIn(SECURITY, 'Package: lib\nVersion: 2')];
    const include = ['app', 'data', 'mawk'];
    const expected = resolve(new PackageIndex(packages), amd64(include));
    fc.assert(
      fc.property(fc.shuffledSubarray(packages, { minLength: packages.length }), fc.shuffledSubarray(include, { minLength: 3 }), (shuffled, order) => {
        expect(resolve(new PackageIndex(shuffled), amd64(order))).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });
});

// ---------------------------------------------------------------- the machine's real indexes

const APT_LISTS = '/var/lib/apt/lists';
const INDEX_FILE = /^(.+?)_dists_(.+?)_(.+?)_binary-amd64_Packages(\.\w+)?$/;

/** apt keeps indexes compressed when Acquire::GzipIndexes is set (Docker's Debian images do): lz4 here. */
function readAptList(name: string): string | undefined {
  const path = join(APT_LISTS, name);
  const attempts: Array<[string, string[]]> = [
    ...(name.endsWith('.lz4') ? [['lz4', ['-dc', path]] as [string, string[]]] : []),
    ['/usr/lib/apt/apt-helper', ['cat-file', path]],
  ];
  for (const [command, args] of attempts) {
    const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    if (result.status === 0) return result.stdout;
  }
  return undefined;
}

/** `deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4` -> its origin. */
function originOf(name: string): ArchiveOrigin | undefined {
  const match = INDEX_FILE.exec(name);
  if (match === null) return undefined;
  const [, site = '', suite = '', component = ''] = match;
  return { archive: `http://${site.replace(/_/g, '/')}`, suite, component };
}

function loadRealIndex(): PackageIndex | undefined {
  if (!existsSync(APT_LISTS)) return undefined;
  const packages: BinaryPackage[] = [];
  for (const name of readdirSync(APT_LISTS)) {
    const origin = originOf(name);
    const text = origin === undefined ? undefined : readAptList(name);
    if (origin !== undefined && text !== undefined) packages.push(...parsePackagesIndex(text, origin).packages);
  }
  return packages.length > 0 ? new PackageIndex(packages) : undefined;
}

/** apt's own pick, `apt-cache policy`'s Candidate: the newest version here, as every suite has the same priority. */
function aptCandidates(names: readonly string[]): Map<string, string> {
  const output = spawnSync('apt-cache', ['policy', ...names], { encoding: 'utf8' }).stdout ?? '';
  return new Map([...output.matchAll(/^(\S+):\n\s+Installed: .*\n\s+Candidate: (\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

const realIndex = loadRealIndex();
const describeWithRealIndex = realIndex !== undefined ? describe : describe.skip;
const RUNTIME_EXCLUDES = ['debconf', 'openssl', 'perl-base', 'dpkg', 'awk'];

describeWithRealIndex(`resolve against ${APT_LISTS} (skipped without indexes, lz4 or apt-helper)`, () => {
  const index = realIndex ?? new PackageIndex([]);
  const resolveReal = (include: string[], exclude: string[]): Resolution => resolve(index, amd64(include, exclude));

  it('gives the small distroless-like base set', () => {
    const base = resolveReal(['base-files', 'netbase', 'tzdata', 'ca-certificates', 'media-types', 'libc6', 'libssl3'], RUNTIME_EXCLUDES);
    expect(base.packages.map((p) => p.name)).toEqual([
      'base-files', 'ca-certificates', 'gcc-12-base', 'libc6', 'libgcc-s1', 'libssl3', 'media-types', 'netbase', 'tzdata',
    ]);
    expect(base.why).toMatchObject({ 'libgcc-s1': 'libc6', 'gcc-12-base': 'libgcc-s1', libc6: 'requested' });
  });

  it("satisfies base-files' Pre-Depends: awk with an included mawk instead of adding gawk", () => {
    const names = resolveReal(['base-files', 'mawk'], ['dpkg']).packages.map((p) => p.name);
    expect(names).toContain('mawk');
    expect(names).not.toContain('gawk');
  });

  it.each([
    [['python3'], ['debconf', 'perl-base', 'dpkg'], ['python3.11', 'libpython3.11-stdlib', 'libssl3', 'zlib1g']],
    [['nginx'], ['debconf', 'perl-base', 'dpkg'], ['nginx-common', 'libssl3', 'libpcre2-8-0', 'zlib1g']],
  ])('resolves %j with the same versions as apt-cache policy', (include, exclude, expected) => {
    const resolution = resolveReal(include, exclude);
    const names = resolution.packages.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining([...include, ...expected]));
    expect(names).not.toContain('debconf');

    const candidates = aptCandidates(names);
    expect(candidates.size).toBe(names.length);
    expect(Object.fromEntries(resolution.packages.map((p) => [p.name, p.version]))).toEqual(Object.fromEntries(candidates));
  });
});
