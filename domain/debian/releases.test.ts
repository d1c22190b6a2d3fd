import { releaseOfPackages, releaseOfVersion } from './releases';

test('the release of an image is read off its base-files', () => {
  expect(releaseOfPackages([{ name: 'libc6', version: '2.41-12' }, { name: 'base-files', version: '13.8+deb13u1' }])).toBe('trixie');
  expect(releaseOfPackages([{ name: 'base-files', version: '12.4+deb12u11' }])).toBe('bookworm');
  expect(releaseOfPackages([{ name: 'base-files', version: '11.1+deb11u9' }])).toBeUndefined();
  expect(releaseOfPackages([{ name: 'libc6', version: '2.36-9' }])).toBeUndefined();
});

test("OSV's Debian:<n> names a release", () => {
  expect(releaseOfVersion('13')).toBe('trixie');
  expect(releaseOfVersion('12')).toBe('bookworm');
  expect(releaseOfVersion('11')).toBeUndefined();
});
