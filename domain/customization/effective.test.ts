import { effectiveSpec } from '../catalog/effective';
import { DefinitionSchema } from '../catalog/definition';
import { CA_BUNDLE_PATH } from '../catalog/policy';
import { customConfig, customTestSpec, laterOf } from './effective';
import { type Customization, CustomizationSchema } from './schema';

const customization = (fields: Record<string, unknown>): Customization =>
  CustomizationSchema.parse({ name: 'app', description: 'the app', base: { image: 'base' }, tagSuffix: 'app', ...fields });

const BASE_CONFIG = {
  created: '2026-01-01T00:00:00.000Z',
  config: {
    User: '65532:65532',
    Env: ['PATH=/usr/bin:/bin', 'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'],
    Entrypoint: ['/usr/bin/python3'],
    Cmd: ['--version'],
    WorkingDir: '/home/nonroot',
    Labels: { 'org.opencontainers.image.title': 'python', 'org.example.keep': 'yes' },
  },
  rootfs: { diff_ids: ['sha256:' + 'a'.repeat(64)] },
  history: [{ created: '2026-01-01T00:00:00.000Z', created_by: 'tempered python:bookworm' }],
};

const merge = (c: Customization, user?: string) =>
  customConfig({
    base: BASE_CONFIG, customization: c, user, diffId: 'sha256:' + 'b'.repeat(64), created: '2026-02-01T00:00:00.000Z',
    createdBy: 'tempered customization app', standardLabels: { 'org.opencontainers.image.title': 'app' },
  });

describe('customConfig', () => {
  it('inherits everything from the base when the customization says nothing', () => {
    const config = merge(customization({}));
    expect(config).toEqual(expect.objectContaining({
      user: '65532:65532',
      env: { PATH: '/usr/bin:/bin', SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt' },
      entrypoint: ['/usr/bin/python3'],
      cmd: ['--version'],
      workdir: '/home/nonroot',
      labels: { 'org.opencontainers.image.title': 'app', 'org.example.keep': 'yes' },
      diffIds: ['sha256:' + 'a'.repeat(64), 'sha256:' + 'b'.repeat(64)],
    }));
    expect(config.history.map((h) => h.createdBy)).toEqual(['tempered python:bookworm', 'tempered customization app']);
  });

  it('merges env and labels, and a new entrypoint drops the base cmd (as FROM does)', () => {
    const config = merge(customization({ environment: { APP: '1', PATH: '/opt/app/bin:/usr/bin' }, entrypoint: ['/opt/app/run'], labels: { team: 'x' } }), '10001:10001');
    expect(config.env).toEqual({ PATH: '/opt/app/bin:/usr/bin', SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt', APP: '1' });
    expect(config.entrypoint).toEqual(['/opt/app/run']);
    expect(config.cmd).toEqual([]);
    expect(config.user).toBe('10001:10001');
    expect(config.labels.team).toBe('x');
    expect(merge(customization({ cmd: ['app.py'] })).cmd).toEqual(['app.py']);
  });
});

describe('laterOf', () => {
  it('never makes a customization older than its base', () => {
    expect(laterOf('2026-03-01T00:00:00Z', '2026-01-01T00:00:00.000Z')).toBe('2026-03-01T00:00:00Z');
    expect(laterOf('2025-03-01T00:00:00Z', '2026-01-01T00:00:00.000Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(laterOf(undefined, '2026-01-01T00:00:00.000Z')).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('customTestSpec', () => {
  const base = effectiveSpec(
    DefinitionSchema.parse({ name: 'base', description: 'b', packages: { include: ['libc6', 'ca-certificates'] }, tests: [{ name: 'base test', file: '/etc/os-release' }] }),
    'bookworm',
    'runtime',
  );

  it('keeps the base variant (its policy applies) and runs the customization tests after checks derived from its files and certificates', () => {
    const c = customization({
      packages: ['curl'],
      files: [{ path: '/etc/app.conf', content: 'x', mode: '0640' }],
      tests: [{ name: 'own test', file: '/etc/app.conf' }],
    });
    const pem = '-----BEGIN CERTIFICATE-----\nAAAA\nBBBB\nCC==\n-----END CERTIFICATE-----\n';
    const spec = customTestSpec(base, c, 'bookworm-app', [{ name: 'corp', pems: [pem] }]);
    expect(spec.image).toEqual({ kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' });
    expect(spec.tag).toBe('bookworm-app');
    expect(spec.packages.include).toEqual(['ca-certificates', 'curl', 'libc6']);
    expect(spec.tests).toEqual([
      { name: '/etc/app.conf is in place with mode 0640', file: '/etc/app.conf', exists: true, mode: '0640' },
      { name: 'the CA bundle has certificate corp', file: CA_BUNDLE_PATH, exists: true, contains: 'AAAA\nBBBB' },
      { name: 'own test', file: '/etc/app.conf', exists: true },
    ]);
  });
});
