import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatStanza, parseStanzas } from './control';
import { MergedPackageIndex } from './mergedIndex';
import { PackageIndex, parsePackagesIndex, type ArchiveOrigin, type BinaryPackage } from './packages';

const BOOKWORM: ArchiveOrigin = { archive: 'http://deb.debian.org/debian', suite: 'bookworm', component: 'main' };
const SECURITY: ArchiveOrigin = { archive: 'http://deb.debian.org/debian-security', suite: 'bookworm-security', component: 'main' };
const SHA = (digit: string): string => digit.repeat(64);

const LIBGCC = `Package: libgcc-s1
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14+b1
Installed-Size: 140
Maintainer: Debian GCC Maintainers <debian-gcc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Provides: libgcc1 (= 1:12.2.0-14+b1)
Depends: gcc-12-base (= 12.2.0-14+b1), libc6 (>= 2.35)
Pre-Depends: dpkg (>= 1.15.6~) [amd64]
Description: GCC support library
 Shared version of the support library.
Homepage: http://gcc.gnu.org/
Section: libs
Priority: optional
Filename: pool/main/g/gcc-12/libgcc-s1_12.2.0-14+b1_amd64.deb
Size: 49856
SHA256: ${SHA('a')}
`;

describe('parsePackagesIndex', () => {
  it('reads every field of a stanza', () => {
    const { packages, problems } = parsePackagesIndex(LIBGCC, BOOKWORM);
    expect(problems).toEqual([]);
    expect(packages).toEqual([
      {
        name: 'libgcc-s1',
        version: '12.2.0-14+b1',
        architecture: 'amd64',
        source: 'gcc-12',
        sourceVersion: '12.2.0-14',
        filename: 'pool/main/g/gcc-12/libgcc-s1_12.2.0-14+b1_amd64.deb',
        size: 49856,
        sha256: SHA('a'),
        depends: [[{ name: 'gcc-12-base', relation: '=', version: '12.2.0-14+b1' }], [{ name: 'libc6', relation: '>=', version: '2.35' }]],
        preDepends: [[{ name: 'dpkg', relation: '>=', version: '1.15.6~' }]],
        provides: [{ name: 'libgcc1', relation: '=', version: '1:12.2.0-14+b1' }],
        essential: false,
        priority: 'optional',
        multiArch: 'same',
        section: 'libs',
        installedSize: 140,
        maintainer: 'Debian GCC Maintainers <debian-gcc@lists.debian.org>',
        homepage: 'http://gcc.gnu.org/',
        description: 'GCC support library',
        origin: BOOKWORM,
      },
    ]);
  });

  it('takes the source name and version from the package when Source is missing or has no version', () => {
    const text = `Package: base-files\nVersion: 12.4+deb12u15\nArchitecture: amd64\nEssential: yes\nFilename: pool/b.deb\nSize: 1\nSHA256: ${SHA('b')}\n\nPackage: libssl3\nSource: openssl\nVersion: 3.0.22-1~deb12u2\nArchitecture: amd64\nFilename: pool/o.deb\nSize: 2\nSHA256: ${SHA('c')}\n`;
    const [baseFiles, libssl3] = parsePackagesIndex(text, BOOKWORM).packages;
    expect(baseFiles).toMatchObject({ source: 'base-files', sourceVersion: '12.4+deb12u15', essential: true, depends: [], provides: [] });
    expect(libssl3).toMatchObject({ source: 'openssl', sourceVersion: '3.0.22-1~deb12u2', essential: false });
  });

  it('reads field names whatever their case, as dpkg does', () => {
    const text = `package: tiny\nVERSION: 1.0\nArchitecture: all\nfilename: pool/t.deb\nSize: 1\nSha256: ${SHA('b')}\n`;
    expect(parsePackagesIndex(text, BOOKWORM).packages).toMatchObject([{ name: 'tiny', version: '1.0', sha256: SHA('b') }]);
  });

  describe('leaves out unusable stanzas, reporting each, and keeps the rest', () => {
    const good = `Package: good\nVersion: 1.0\nArchitecture: all\nFilename: pool/g.deb\nSize: 1\nSHA256: ${SHA('d')}\n`;
    const bad = good.replace('good', 'bad');
    const replace = (from: string, to: string): string => bad.replace(from, to);

    it.each([
      ['a bad version', replace('Version: 1.0', 'Version: v1.0'), 'version number does not start with digit'],
      ['no SHA256', replace(`SHA256: ${SHA('d')}\n`, ''), 'no SHA256 field'],
      ['no Filename', replace('Filename: pool/g.deb\n', ''), 'no Filename field'],
      ['a short SHA256', replace(SHA('d'), 'abc'), 'SHA256 "abc" is not 64 lower-case hex digits'],
      ['a Filename outside the archive', replace('pool/g.deb', 'pool/../../etc/passwd'), 'leaves the archive'],
      ['an absolute Filename', replace('pool/g.deb', '/etc/passwd'), 'leaves the archive'],
      ['a bad Size', replace('Size: 1', 'Size: -1'), 'Size "-1" is not a whole number'],
      ['a bad Depends', `${bad}Depends: libc6 (>= 2.34\n`, 'malformed relationship field "libc6 (>= 2.34"'],
      ['a bad source version', `${bad}Source: src (x)\n`, 'version number does not start with digit'],
      ['a bad package name', replace('Package: bad', 'Package: ../bad'), '"../bad" is not a valid package name'],
      ['a versioned Provides other than =', `${bad}Provides: foo (>= 1)\n`, 'only = is allowed'],
      ['alternatives in Provides', `${bad}Provides: foo | bar\n`, 'has alternatives'],
      ['an unknown Multi-Arch', `${bad}Multi-Arch: maybe\n`, 'unknown Multi-Arch value "maybe"'],
      ['a field given twice, whatever its case', `${bad}sha256: ${SHA('f')}\n`, 'SHA256 field given twice'],
    ])('%s', (_what, badStanza, reason) => {
      const { packages, problems } = parsePackagesIndex(`${good}\n${badStanza}\n${good.replace('good', 'good2')}`, BOOKWORM);
      expect(packages.map((p) => p.name)).toEqual(['good', 'good2']);
      expect(problems).toEqual([{ package: expect.stringContaining('bad'), reason: expect.stringContaining(reason) }]);
    });

    it('a stanza with no Package field', () => {
      expect(parsePackagesIndex('Version: 1.0\n', BOOKWORM).problems).toEqual([{ package: undefined, reason: 'no Package field' }]);
    });
  });
});

/** A package with only the fields the index looks at. */
function pkg(name: string, version: string, origin: ArchiveOrigin = BOOKWORM, more: Partial<BinaryPackage> = {}): BinaryPackage {
  return {
    name,
    version,
    architecture: 'amd64',
    source: name,
    sourceVersion: version,
    filename: `pool/${name}_${version}.deb`,
    size: 1,
    sha256: SHA('e'),
    depends: [],
    preDepends: [],
    provides: [],
    essential: false,
    origin,
    ...more,
  };
}

/** The same packages as one index, or split over part indexes (one per suite, as the archive loader makes them). */
const indexKinds: [string, (packages: BinaryPackage[]) => PackageIndex][] = [
  ['PackageIndex', (packages) => new PackageIndex(packages)],
  ['MergedPackageIndex', (packages) => new MergedPackageIndex([
    new PackageIndex(packages.filter((p) => p.origin === SECURITY)),
    new PackageIndex(packages.filter((p, i) => p.origin !== SECURITY && i % 2 === 0)),
    new PackageIndex([]),
    new PackageIndex(packages.filter((p, i) => p.origin !== SECURITY && i % 2 === 1)),
  ])],
];

describe.each(indexKinds)('%s', (_kind, indexOf) => {
  const packages = [
    pkg('libc6', '2.36-9+deb12u7', SECURITY),
    pkg('libc6', '2.36-9+deb12u14'),
    pkg('libc6', '2.36-9+deb12u10'),
    pkg('mawk', '1.3.4.20200120-3.1', BOOKWORM, { provides: [{ name: 'awk' }] }),
    pkg('gawk', '1:5.2.1-2', BOOKWORM, { provides: [{ name: 'awk' }] }),
    pkg('libgcc-s1', '12.2.0-14+b1', BOOKWORM, { source: 'gcc-12', sourceVersion: '12.2.0-14' }),
    pkg('dash', '0.5.12-2', BOOKWORM, { essential: true }),
    pkg('sysvinit-utils', '3.07-1', SECURITY, { essential: false }),
    pkg('sysvinit-utils', '3.06-4', BOOKWORM, { essential: true }),
  ];
  const index = indexOf(packages);

  it('lists every version of a name, newest first across suites', () => {
    expect(index.versions('libc6').map((p) => p.version)).toEqual(['2.36-9+deb12u14', '2.36-9+deb12u10', '2.36-9+deb12u7']);
    expect(index.versions('nothing')).toEqual([]);
  });

  it('finds the newest version over all suites, not the security suite', () => {
    expect(index.newest('libc6')).toMatchObject({ version: '2.36-9+deb12u14', origin: BOOKWORM });
    expect(index.newest('nothing')).toBeUndefined();
  });

  it('breaks a tie between suites the same way whatever the input order', () => {
    const inMain = pkg('tzdata', '2026f-0+deb12u1', BOOKWORM);
    const inSecurity = pkg('tzdata', '2026f-0+deb12u1', SECURITY);
    expect(indexOf([inMain, inSecurity]).newest('tzdata')).toBe(inMain);
    expect(indexOf([inSecurity, inMain]).newest('tzdata')).toBe(inMain);
  });

  it('finds a version by Debian equality', () => {
    expect(index.find('libc6', '2.36-9+deb12u10')?.version).toBe('2.36-9+deb12u10');
    expect(index.find('libgcc-s1', '0:12.2.0-14+b1')?.version).toBe('12.2.0-14+b1');
    expect(index.find('libc6', '2.36-9+deb12u99')).toBeUndefined();
  });

  it('lists the providers of a virtual name by package name', () => {
    expect(index.providers('awk').map((p) => p.name)).toEqual(['gawk', 'mawk']);
    expect(index.providers('libc6')).toEqual([]);
  });

  it('lists real package names, sorted', () => {
    expect(index.names()).toEqual(['dash', 'gawk', 'libc6', 'libgcc-s1', 'mawk', 'sysvinit-utils']);
  });

  it('lists source package names', () => {
    expect([...index.sources()].sort()).toEqual(['dash', 'gawk', 'gcc-12', 'libc6', 'mawk', 'sysvinit-utils']);
  });

  it('lists the names whose newest version is Essential, not those with an older Essential version', () => {
    expect(index.essentialNames()).toEqual(['dash']);
  });
});

// ---------------------------------------------------------------- the machine's real indexes

const APT_LISTS = '/var/lib/apt/lists';
const realIndexes = existsSync(APT_LISTS) ? readdirSync(APT_LISTS).filter((name) => /_binary-amd64_Packages(\.\w+)?$/.test(name)) : [];

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

const realTexts = new Map(realIndexes.flatMap((name) => {
  const text = readAptList(name);
  return text === undefined ? [] : [[name, text] as const];
}));
const describeWithRealIndexes = realTexts.size > 0 ? describe : describe.skip;

describeWithRealIndexes(`real Packages indexes in ${APT_LISTS} (skipped without them or a way to decompress them)`, () => {
  it.each([...realTexts.keys()])('%s: every stanza is usable and re-serializes byte for byte', (name) => {
    const text = realTexts.get(name) ?? '';
    const { packages, problems } = parsePackagesIndex(text, BOOKWORM);
    expect(problems).toEqual([]);
    expect(packages.length).toBe(text.match(/^Package: /gm)?.length);

    // Eight bookworm Descriptions end with a blank, which deb822 does not keep.
    const withoutTrailingBlanks = text.replace(/[ \t]+$/gm, '');
    const rewritten = parseStanzas(text)
      .map((stanza) => `${formatStanza(Object.entries(stanza))}\n`)
      .join('');
    expect(firstDifference(rewritten, withoutTrailingBlanks)).toBeUndefined();
  });
});

/** Where two long texts part, with some context: jest's diff of two 50 MB strings would be unreadable and slow. */
function firstDifference(actual: string, expected: string): string | undefined {
  if (actual === expected) return undefined;
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  return `at ${at}: got ${JSON.stringify(actual.slice(at - 80, at + 80))}, expected ${JSON.stringify(expected.slice(at - 80, at + 80))}`;
}
