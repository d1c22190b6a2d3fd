import type { InstalledPackage } from '../debian/status';
import { SbomInputError, buildSbom, debianPurl, installedFromSbom, sbomSerialNumber, toSpdxId, uuidV5, validateSbom } from './cyclonedx';

const DIGEST = 'sha256:3f1c2a9e0b7d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a';

const packages: InstalledPackage[] = [
  {
    name: 'libssl3',
    version: '3.0.15-1~deb12u1',
    architecture: 'amd64',
    source: 'openssl',
    sourceVersion: '3.0.15-1~deb12u1',
    maintainer: 'Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>',
    homepage: 'https://www.openssl.org/',
    description: 'Secure Sockets Layer toolkit - shared libraries',
    installedSize: 6152,
  },
  { name: 'base-files', version: '12.4+deb12u5', architecture: 'amd64', source: 'base-files', sourceVersion: '12.4+deb12u5' },
  { name: 'docker.io', version: '20.10.24+dfsg1-1+b3', architecture: 'amd64', source: 'docker.io', sourceVersion: '20.10.24+dfsg1-1' },
  { name: 'libgcc-s1', version: '12.2.0-14+deb12u1', architecture: 'amd64', source: 'gcc-12', sourceVersion: '12.2.0-14+deb12u1' },
  { name: 'zlib1g', version: '1:1.2.13.dfsg-1', architecture: 'amd64', source: 'zlib', sourceVersion: '1:1.2.13.dfsg-1' },
  { name: 'tzdata', version: '2024a-0+deb12u1', architecture: 'all', source: 'tzdata', sourceVersion: '2024a-0+deb12u1' },
];

const input = {
  image: { name: 'tempered/base', variant: 'runtime', reference: '127.0.0.1:5000/tempered/base:12', digest: DIGEST },
  packages,
  licenses: { libssl3: ['Apache-2.0'], 'libgcc-s1': ['GPL-3+ with GCC exception', 'GPL-3+'], zlib1g: ['Zlib'], 'base-files': ['GPL-2', 'public-domain'] },
  tools: [{ name: 'tempered', version: '0.1.0', vendor: 'tempered' }],
  timestamp: new Date('2024-06-01T00:00:00Z'),
};

interface JsonComponent {
  name: string;
  purl?: string;
  'bom-ref'?: string;
  type: string;
  licenses?: { license: { id?: string; name?: string } }[];
  properties?: { name: string; value: string }[];
}

const parsed = (text: string) => JSON.parse(text) as { serialNumber: string; metadata: { timestamp: string; component: JsonComponent }; components: JsonComponent[] };

describe('buildSbom', () => {
  const text = buildSbom(input);
  const sbom = parsed(text);

  it('validates against the CycloneDX 1.6 schema (strict, offline)', async () => {
    await expect(validateSbom(text)).resolves.toEqual({ valid: true });
  });

  it('is deterministic: same bytes for the same input in any package order', () => {
    expect(buildSbom({ ...input, packages: [...packages].reverse() })).toBe(text);
  });

  it('derives the serial number from the image digest as a v5 UUID', () => {
    expect(sbom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sbom.serialNumber).toBe(sbomSerialNumber(input.image, []));
    expect(sbomSerialNumber({ ...input.image, digest: DIGEST.replace('3f', '4f') }, [])).not.toBe(sbom.serialNumber);
  });

  it('uses the caller\'s timestamp', () => {
    expect(sbom.metadata.timestamp).toBe('2024-06-01T00:00:00.000Z');
  });

  it('describes the image as a container with an OCI purl', () => {
    expect(sbom.metadata.component).toMatchObject({
      type: 'container',
      name: 'tempered/base',
      version: DIGEST,
      'bom-ref': 'image:tempered/base:runtime',
      purl: `pkg:oci/base@${DIGEST}?repository_url=127.0.0.1%3A5000%2Ftempered%2Fbase&tag=12`,
    });
  });

  it('lists packages sorted, as libraries with explicit bom-refs and Debian purls', () => {
    expect(sbom.components.map((c) => c.name)).toEqual(['base-files', 'docker.io', 'libgcc-s1', 'libssl3', 'tzdata', 'zlib1g']);
    expect(sbom.components.every((c) => c.type === 'library' && c['bom-ref'] === c.purl)).toBe(true);
    expect(sbom.components.map((c) => c.purl)).toEqual([
      'pkg:deb/debian/base-files@12.4+deb12u5?arch=amd64&distro=debian-12',
      'pkg:deb/debian/docker.io@20.10.24+dfsg1-1+b3?arch=amd64&distro=debian-12&upstream=docker.io%4020.10.24%2Bdfsg1-1',
      'pkg:deb/debian/libgcc-s1@12.2.0-14+deb12u1?arch=amd64&distro=debian-12&upstream=gcc-12',
      'pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl',
      'pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12',
      'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib',
    ]);
  });

  it('always records the source package and version as properties', () => {
    for (const component of sbom.components) {
      expect(component.properties?.map((p) => p.name)).toEqual(expect.arrayContaining(['tempered:deb:source', 'tempered:deb:sourceVersion']));
    }
  });

  it('writes SPDX ids where they exist and named licenses otherwise', () => {
    const licensesOf = (name: string) => sbom.components.find((c) => c.name === name)?.licenses?.map((l) => l.license);
    expect(licensesOf('libssl3')).toEqual([{ id: 'Apache-2.0' }]);
    expect(licensesOf('libgcc-s1')).toEqual(expect.arrayContaining([{ id: 'GPL-3.0-or-later' }, { name: 'GPL-3+ with GCC exception' }]));
    expect(licensesOf('base-files')).toEqual(expect.arrayContaining([{ id: 'GPL-2.0-only' }, { name: 'public-domain' }]));
    expect(licensesOf('tzdata')).toBeUndefined();
  });

  it('works without a digest, with a serial tied to the package set', () => {
    const { digest: _digest, ...undigested } = input.image;
    const first = parsed(buildSbom({ ...input, image: undigested }));
    const second = parsed(buildSbom({ ...input, image: undigested, packages: packages.slice(1) }));
    expect(first.serialNumber).not.toBe(second.serialNumber);
    expect(first.metadata.component).not.toHaveProperty('purl');
  });

  it('refuses input it cannot describe truthfully', () => {
    expect(() => buildSbom({ ...input, image: { ...input.image, digest: 'latest' } })).toThrow(SbomInputError);
    expect(() => buildSbom({ ...input, timestamp: new Date('nope') })).toThrow('SBOM input timestamp: is not a valid date');
    const duplicate = [...packages, { ...packages[0]!, version: '3.0.16-1~deb12u1' }];
    expect(() => buildSbom({ ...input, packages: duplicate })).toThrow('SBOM input packages: libssl3:amd64 is listed twice');
  });
});

describe('installedFromSbom', () => {
  it('round-trips our own SBOM exactly', () => {
    const byName = (a: InstalledPackage, b: InstalledPackage) => (a.name < b.name ? -1 : 1);
    expect(installedFromSbom(buildSbom(input))).toEqual([...packages].sort(byName));
  });

  it('reads syft and trivy properties, then the purl upstream qualifier, then the name', () => {
    const foreign = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      components: [
        {
          type: 'library',
          name: 'libc6',
          version: '2.36-9+deb12u7',
          purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&upstream=glibc&distro=debian-12',
          properties: [
            { name: 'syft:package:type', value: 'deb' },
            { name: 'syft:metadata:source', value: 'glibc' },
            { name: 'syft:metadata:sourceVersion', value: '2.36-9+deb12u7' },
          ],
        },
        {
          type: 'library',
          name: 'zlib1g',
          version: '1:1.2.13.dfsg-1',
          purl: 'pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&epoch=1&distro=debian-12.5',
          properties: [
            { name: 'aquasecurity:trivy:SrcName', value: 'zlib' },
            { name: 'aquasecurity:trivy:SrcVersion', value: '1.2.13.dfsg' },
            { name: 'aquasecurity:trivy:SrcRelease', value: '1' },
            { name: 'aquasecurity:trivy:SrcEpoch', value: '1' },
          ],
        },
        { type: 'library', name: 'libfoo1', purl: 'pkg:deb/debian/libfoo1@1.2-3%2Bb1?arch=arm64&upstream=foo%401.2-3' },
        { type: 'library', name: 'bash', purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb7' },
        { type: 'library', name: 'lodash', version: '4.17.21', purl: 'pkg:npm/lodash@4.17.21' },
        { type: 'file', name: '/etc/passwd' },
        { type: 'library', name: 'broken', purl: 'pkg:deb/debian/broken@not%20a%20version?arch=amd64' },
        { type: 'application', name: 'bundle', components: [{ type: 'library', name: 'libz', purl: 'pkg:deb/debian/libz@1.0-1?arch=all' }] },
      ],
    };
    expect(installedFromSbom(JSON.stringify(foreign)).map((p) => `${p.name}@${p.version} ${p.architecture} <- ${p.source}@${p.sourceVersion}`)).toEqual([
      'libc6@2.36-9+deb12u7 amd64 <- glibc@2.36-9+deb12u7',
      'zlib1g@1:1.2.13.dfsg-1 amd64 <- zlib@1:1.2.13.dfsg-1',
      'libfoo1@1.2-3+b1 arm64 <- foo@1.2-3',
      'bash@5.2.15-2+b7 unknown <- bash@5.2.15-2+b7',
      'libz@1.0-1 all <- libz@1.0-1',
    ]);
  });

  it('refuses a document that is not an object', () => {
    expect(() => installedFromSbom('[]')).toThrow(SbomInputError);
  });
});

describe('validateSbom', () => {
  it('names the path and problem of each schema violation', async () => {
    const broken = JSON.parse(buildSbom(input)) as Record<string, unknown>;
    broken.serialNumber = 'not-a-urn';
    const result = await validateSbom(broken);
    expect(result.valid).toBe(false);
    expect(!result.valid && result.errors[0]).toMatch(/^\/serialNumber: must match pattern/);
  });
});

describe('debianPurl', () => {
  it('adds upstream only when the source differs, with the version when that differs too', () => {
    const base = { name: 'libfoo1', version: '1.2-3+b1', architecture: 'amd64', source: 'libfoo1', sourceVersion: '1.2-3+b1' };
    expect(debianPurl(base)).toBe('pkg:deb/debian/libfoo1@1.2-3+b1?arch=amd64&distro=debian-12');
    expect(debianPurl({ ...base, sourceVersion: '1.2-3' })).toBe('pkg:deb/debian/libfoo1@1.2-3+b1?arch=amd64&distro=debian-12&upstream=libfoo1%401.2-3');
    expect(debianPurl({ ...base, source: 'foo', sourceVersion: '1.2-3' })).toContain('upstream=foo%401.2-3');
  });
});

describe('toSpdxId', () => {
  it.each([
    ['GPL-2', 'GPL-2.0-only'],
    ['GPL-2+', 'GPL-2.0-or-later'],
    ['GPL-2.0+', 'GPL-2.0-or-later'],
    ['LGPL-2.1+', 'LGPL-2.1-or-later'],
    ['lgpl-3', 'LGPL-3.0-only'],
    ['AGPL-3+', 'AGPL-3.0-or-later'],
    ['BSD-3-clause', 'BSD-3-Clause'],
    ['Expat', 'MIT'],
    ['Zlib', 'Zlib'],
    ['Apache-2.0', 'Apache-2.0'],
    ['public-domain', undefined],
    ['Artistic', undefined],
    ['GPL-2+ with OpenSSL exception', undefined],
    ['GPL-9', undefined],
  ])('%s -> %s', (name, id) => expect(toSpdxId(name)).toBe(id));
});

describe('uuidV5', () => {
  it('matches the RFC 4122 reference vector', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});
