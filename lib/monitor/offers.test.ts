import type { Advisory } from '../../domain/advisory/record';
import { PackageIndex, parsePackagesIndex } from '../../domain/debian/packages';
import type { InstalledPackage } from '../../domain/debian/status';
import { assessImpact } from '../../domain/impact';
import { fixOffered, newerPackages } from './offers';

function stanza(name: string, version: string, source?: string, architecture = 'amd64'): string {
  const sha256 = Buffer.from(`${name} ${version} ${architecture}`).toString('hex').padEnd(64, '0').slice(0, 64);
  return [
    `Package: ${name}`,
    `Version: ${version}`,
    `Architecture: ${architecture}`,
    ...(source ? [`Source: ${source}`] : []),
    `Filename: pool/main/${name[0]}/${name}/${name}_${version}_${architecture}.deb`,
    'Size: 100',
    `SHA256: ${sha256}`,
    '',
  ].join('\n');
}

function archive(...stanzas: string[]): PackageIndex {
  return new PackageIndex(parsePackagesIndex(stanzas.join('\n'), { archive: 'http://127.0.0.1/debian', suite: 'bookworm', component: 'main' }).packages);
}

function pkg(name: string, version: string, source = name, sourceVersion = version): InstalledPackage {
  return { name, version, architecture: 'amd64', source, sourceVersion };
}

function advisory(source: string, fixedVersion: string | null): Advisory {
  return {
    id: 'CVE-2024-5535', aliases: [], source, fixedVersion, status: fixedVersion ? 'fixed' : 'no-fix', severity: 'high', origin: 'debian-tracker',
  };
}

const installed = [pkg('libssl3', '3.0.15-1~deb12u1', 'openssl'), pkg('openssl', '3.0.15-1~deb12u1'), pkg('libfoo1', '1.2-3+b1', 'foo', '1.2-3')];

function offered(a: Advisory, index: PackageIndex): boolean {
  return fixOffered(assessImpact(a, installed), a.fixedVersion, index);
}

describe('fixOffered', () => {
  it('is false while the archive only has the installed version', () => {
    const index = archive(stanza('libssl3', '3.0.15-1~deb12u1', 'openssl'), stanza('openssl', '3.0.15-1~deb12u1'));
    expect(offered(advisory('openssl', '3.0.16-1~deb12u1'), index)).toBe(false);
  });

  it('is true once every vulnerable binary is offered at or above the fix', () => {
    const index = archive(
      stanza('libssl3', '3.0.15-1~deb12u1', 'openssl'),
      stanza('libssl3', '3.0.16-1~deb12u1', 'openssl'),
      stanza('openssl', '3.0.16-1~deb12u1'),
    );
    expect(offered(advisory('openssl', '3.0.16-1~deb12u1'), index)).toBe(true);
  });

  it('waits for the last binary of the source: half an upload is not a fix for this image', () => {
    const index = archive(stanza('libssl3', '3.0.16-1~deb12u1', 'openssl'), stanza('openssl', '3.0.15-1~deb12u1'));
    expect(offered(advisory('openssl', '3.0.16-1~deb12u1'), index)).toBe(false);
  });

  it('compares the offered binary\'s source version: a binNMU of the fixed source is the fix', () => {
    const index = archive(stanza('libfoo1', '1.2-4+b1', 'foo (1.2-4)'));
    expect(offered(advisory('foo', '1.2-4'), index)).toBe(true);
    expect(offered(advisory('foo', '1.2-5'), index)).toBe(false);
  });

  it('is false when the archive no longer carries any vulnerable binary, or the advisory has no fix', () => {
    expect(offered(advisory('openssl', '3.0.16-1~deb12u1'), archive(stanza('zlib1g', '1:1.2.13.dfsg-1', 'zlib')))).toBe(false);
    expect(offered(advisory('openssl', null), archive(stanza('openssl', '3.0.16-1~deb12u1')))).toBe(false);
  });
});

describe('newerPackages', () => {
  it('lists, per image, the packages the archive offers newer versions of', () => {
    const index = archive(
      stanza('libssl3', '3.0.16-1~deb12u1', 'openssl'),
      stanza('libc6', '2.36-9+deb12u7', 'glibc'),
      stanza('tzdata', '2025b-0+deb12u1', undefined, 'all'),
    );
    const result = newerPackages(
      [
        { id: 'image:base:runtime', packages: [pkg('libssl3', '3.0.15-1~deb12u1', 'openssl'), pkg('libc6', '2.36-9+deb12u7', 'glibc'), pkg('tzdata', '2024a-0+deb12u1')] },
        { id: 'image:base:dev', packages: [pkg('libssl3', '3.0.16-1~deb12u1', 'openssl')] },
      ],
      index,
    );
    expect(Object.fromEntries(result)).toEqual({
      'image:base:runtime': ['libssl3 3.0.16-1~deb12u1', 'tzdata 2025b-0+deb12u1'],
      'image:base:dev': [],
    });
  });
});
