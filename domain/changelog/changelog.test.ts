import { buildChangelog } from './changelog';
import { diffPackages } from './packageDiff';

const pkg = (name: string, version: string, architecture = 'amd64', source = name) => ({ name, version, architecture, source });
const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('package diff', () => {
  it('keys packages by name and architecture, and says which way a version moved', () => {
    const changes = diffPackages(
      [pkg('libssl3', '3.0.15-1~deb12u1', 'amd64', 'openssl'), pkg('libssl3', '3.0.15-1~deb12u1', 'arm64', 'openssl'), pkg('tzdata', '2025b-0+deb12u1', 'all'), pkg('gone', '1')],
      [pkg('libssl3', '3.0.16-1~deb12u1', 'amd64', 'openssl'), pkg('libssl3', '3.0.14-1~deb12u1', 'arm64', 'openssl'), pkg('tzdata', '2025b-0+deb12u1', 'all'), pkg('new', '2')],
    );
    expect(changes).toEqual({
      added: [pkg('new', '2')],
      removed: [pkg('gone', '1')],
      changed: [
        { name: 'libssl3', architecture: 'amd64', source: 'openssl', from: '3.0.15-1~deb12u1', to: '3.0.16-1~deb12u1', direction: 'upgrade' },
        { name: 'libssl3', architecture: 'arm64', source: 'openssl', from: '3.0.15-1~deb12u1', to: '3.0.14-1~deb12u1', direction: 'downgrade' },
      ],
    });
  });
});

describe('changelog', () => {
  const common = { image: { repository: 'tempered/base', name: 'app', variant: 'custom' }, digest: digest('b'), cycle: 7, publishedOn: '2026-12-07T10:00:00Z' };
  it("names a customization's base change, the fixes of this cycle only, what still waits, and why", () => {
    const c = buildChangelog({
      ...common,
      request: { previousDigest: digest('a'), reasons: [{ kind: 'base-changed', baseDigest: digest('d') }], base: { from: digest('c'), to: digest('d') } },
      packages: { changes: diffPackages([pkg('libc6', '2.36-9+deb12u9', 'amd64', 'glibc')], [pkg('libc6', '2.36-9+deb12u10', 'amd64', 'glibc')]) },
      vex: [
        { id: 'CVE-2026-1', source: 'glibc', status: 'fixed', version: '2.36-9+deb12u10', cycle: 7, severity: 'high', at: 'x' },
        { id: 'CVE-2025-9', source: 'glibc', status: 'fixed', version: '2.36-9+deb12u9', cycle: 3, at: 'x' },
        { id: 'CVE-2026-2', source: 'zlib', status: 'under_investigation', note: 'no fix yet', at: 'x' },
        { id: 'CVE-2026-3', source: 'gcc-12', status: 'not_affected', justification: 'component_not_present', at: 'x' },
      ],
    });
    expect(c.advisories).toEqual({ fixed: [{ id: 'CVE-2026-1', source: 'glibc', severity: 'high', version: '2.36-9+deb12u10' }], waiting: [{ id: 'CVE-2026-2', source: 'zlib', note: 'no fix yet' }] });
    expect(c.base).toEqual({ from: digest('c'), to: digest('d') });
    expect(c.why).toBe(`base changed to ${'d'.repeat(12)}`);
    expect(c.summary).toBe(`1 package changed (libc6 2.36-9+deb12u9 -> 2.36-9+deb12u10); base ${'c'.repeat(12)} -> ${'d'.repeat(12)}; fixes CVE-2026-1 (high); 1 advisory waiting for a fix`);
  });

  it('says so when it is a first publish, or when the previous SBOM could not be read', () => {
    expect(buildChangelog({ ...common, request: { reasons: [{ kind: 'initial' }] }, packages: { changes: diffPackages([], [pkg('a', '1')]) }, vex: [] })).toMatchObject({ previousDigest: null, summary: 'first publish', why: 'first build' });
    const unknown = buildChangelog({ ...common, request: { previousDigest: digest('a'), reasons: [{ kind: 'rebuild', by: 'alice' }] }, packages: { unknown: 'did not verify' }, vex: [] });
    expect(unknown).toMatchObject({ packages: null, packagesUnknown: 'did not verify', summary: 'package changes unknown' });
  });
});
