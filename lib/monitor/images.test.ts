import type { InstalledPackage } from '../../domain/debian/status';
import { packagesNotIn } from './images';

const pkg = (name: string, version: string, architecture = 'amd64'): InstalledPackage => ({ name, version, architecture, source: name, sourceVersion: version });

describe('packagesNotIn: what a customization adds on top of its base', () => {
  it('keeps the packages the base does not have at the same version and architecture', () => {
    const base = [pkg('libc6', '2.36-9+deb12u7'), pkg('libssl3', '3.0.15-1~deb12u1'), pkg('tzdata', '2025b-0+deb12u1', 'all')];
    const custom = [
      pkg('libc6', '2.36-9+deb12u7'),
      pkg('libssl3', '3.0.16-1~deb12u1'), // upgraded by the customization: its own, so its own to patch
      pkg('tzdata', '2025b-0+deb12u1', 'all'),
      pkg('curl', '7.88.1-10+deb12u12'),
    ];
    expect(packagesNotIn(custom, base).map((p) => `${p.name} ${p.version}`)).toEqual(['libssl3 3.0.16-1~deb12u1', 'curl 7.88.1-10+deb12u12']);
  });

  it('is everything when the base is empty, nothing when the image is its base', () => {
    const image = [pkg('libc6', '2.36-9+deb12u7')];
    expect(packagesNotIn(image, [])).toEqual(image);
    expect(packagesNotIn(image, image)).toEqual([]);
  });
});
