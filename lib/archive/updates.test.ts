import { PackageIndex, parsePackagesIndex } from '../../domain/debian/packages';
import { findUpdates, type LockEntry } from './updates';

function stanza(name: string, version: string, source?: string): string {
  const sha256 = Buffer.from(`${name} ${version}`).toString('hex').padEnd(64, '0').slice(0, 64);
  return [
    `Package: ${name}`,
    `Version: ${version}`,
    'Architecture: amd64',
    ...(source ? [`Source: ${source}`] : []),
    `Filename: pool/main/${name[0]}/${name}/${name}_${version}_amd64.deb`,
    'Size: 100',
    `SHA256: ${sha256}`,
    '',
  ].join('\n');
}

function suite(name: string, archive: string, ...stanzas: string[]) {
  return parsePackagesIndex(stanzas.join('\n'), { archive, suite: name, component: 'main' }).packages;
}

// Versions as they stood when FACTS.md was written: bookworm's point release is ahead of bookworm-security for libc6.
const archive = new PackageIndex([
  ...suite(
    'bookworm',
    'http://deb.debian.org/debian',
    stanza('libc6', '2.36-9+deb12u14', 'glibc'),
    stanza('libssl3', '3.0.20-1~deb12u2', 'openssl'),
    stanza('base-files', '12.4+deb12u12'),
    stanza('zlib1g', '1:1.2.13.dfsg-1', 'zlib'),
    stanza('tzdata', '2025b-0+deb12u2'),
    stanza('netbase', '6.4'),
  ),
  ...suite(
    'bookworm-security',
    'http://deb.debian.org/debian-security',
    stanza('libc6', '2.36-9+deb12u7', 'glibc'),
    stanza('libssl3', '3.0.22-1~deb12u2', 'openssl'),
  ),
]);

const entry = (name: string, version: string, source = name, sourceVersion = version): LockEntry => ({
  name,
  version,
  source,
  sourceVersion,
});

describe('findUpdates', () => {
  it('reports the newest version over all suites, wherever it comes from', () => {
    const { updates } = findUpdates(
      { 'base:runtime': [entry('libc6', '2.36-9+deb12u7', 'glibc'), entry('libssl3', '3.0.20-1~deb12u2', 'openssl')] },
      archive,
    );
    expect(updates).toEqual([
      {
        name: 'libc6',
        lockedVersion: '2.36-9+deb12u7',
        newestVersion: '2.36-9+deb12u14',
        newestSuite: 'bookworm',
        source: 'glibc',
        lockedSourceVersion: '2.36-9+deb12u7',
        newestSourceVersion: '2.36-9+deb12u14',
        images: ['base:runtime'],
      },
      {
        name: 'libssl3',
        lockedVersion: '3.0.20-1~deb12u2',
        newestVersion: '3.0.22-1~deb12u2',
        newestSuite: 'bookworm-security',
        source: 'openssl',
        lockedSourceVersion: '3.0.20-1~deb12u2',
        newestSourceVersion: '3.0.22-1~deb12u2',
        images: ['base:runtime'],
      },
    ]);
  });

  it('reports nothing for packages locked at the newest version, in Debian version order', () => {
    // The archive has netbase 6.4; dpkg says 6.4-0 is the same version, so it is neither newer nor withdrawn.
    const report = findUpdates(
      { base: [entry('base-files', '12.4+deb12u12'), entry('zlib1g', '1:1.2.13.dfsg-1', 'zlib'), entry('netbase', '6.4-0')] },
      archive,
    );
    expect(report).toEqual({ updates: [], withdrawn: [] });
  });

  it('reports a locked version no suite offers any more, with what is offered instead', () => {
    const report = findUpdates({ 'python:dev': [entry('libssl3', '3.0.15-1~deb12u1', 'openssl')] }, archive);
    expect(report.withdrawn).toEqual([
      { name: 'libssl3', version: '3.0.15-1~deb12u1', newestVersion: '3.0.22-1~deb12u2', images: ['python:dev'] },
    ]);
    expect(report.updates.map((update) => update.newestVersion)).toEqual(['3.0.22-1~deb12u2']);
  });

  it('reports a package gone from the archive by name, and offers no update for it', () => {
    const report = findUpdates({ base: [entry('libgone1', '1.0-1', 'gone')] }, archive);
    expect(report).toEqual({ updates: [], withdrawn: [{ name: 'libgone1', version: '1.0-1', images: ['base'] }] });
  });

  it('merges images that lock the same version, and keeps different locked versions apart', () => {
    const { updates } = findUpdates(
      {
        'node:runtime': [entry('libc6', '2.36-9+deb12u7', 'glibc')],
        'base:runtime': [entry('libc6', '2.36-9+deb12u7', 'glibc')],
        'base:dev': [entry('libc6', '2.36-9+deb12u13', 'glibc')],
      },
      archive,
    );
    expect(updates.map((update) => [update.lockedVersion, update.images])).toEqual([
      ['2.36-9+deb12u7', ['base:runtime', 'node:runtime']],
      ['2.36-9+deb12u13', ['base:dev']],
    ]);
  });
});
