import { imageIndexJson, platformManifestOf } from './imageIndex';

const manifest = (n: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${n.repeat(64)}`, size: 500 });

test('an index lists each platform in architecture order with its OCI platform, the same bytes for the same manifests', () => {
  const arm64 = { architecture: 'arm64' as const, descriptor: manifest('b') };
  const amd64 = { architecture: 'amd64' as const, descriptor: manifest('a') };
  const json = imageIndexJson([arm64, amd64], { 'org.opencontainers.image.title': 'base', 'dev.tempered.variant': 'runtime' });
  expect(json).toBe(imageIndexJson([amd64, arm64], { 'dev.tempered.variant': 'runtime', 'org.opencontainers.image.title': 'base' }));
  const index = JSON.parse(json);
  expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
  expect(index.manifests.map((m: { platform: unknown }) => m.platform)).toEqual([{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
  expect(platformManifestOf(index, 'arm64')).toBe(manifest('b').digest);
});

test('an index refuses no platform and an architecture twice', () => {
  expect(() => imageIndexJson([], {})).toThrow('at least one platform manifest');
  const amd64 = { architecture: 'amd64' as const, descriptor: manifest('a') };
  expect(() => imageIndexJson([amd64, amd64], {})).toThrow('each architecture once');
});
