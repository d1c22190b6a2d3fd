import { DefinitionSchema } from './definition';
import { effectiveSpec } from './effective';
import { lockFileFor } from './load';

const definition = (over: Record<string, unknown> = {}) =>
  DefinitionSchema.parse({
    name: 'py',
    description: 'Python',
    packages: { include: ['libc6', 'python3'] },
    environment: { A: 'top' },
    tests: [{ name: 'top', file: '/etc/passwd' }],
    variants: { dev: { packages: { include: ['python3-pip'] }, environment: { A: 'dev' } } },
    releases: {
      trixie: { packages: { include: ['libssl3t64'] }, description: 'trixie py', variants: { dev: { environment: { A: 'trixie dev' } } } },
      bookworm: { packages: { include: ['libssl3'] }, tests: [{ name: 'bookworm only', file: '/etc/debian_version' }] },
    },
    ...over,
  });

describe('effectiveSpec for a release', () => {
  test('merges the definition, the release, the variant and the release variant, in that order', () => {
    const trixieDev = effectiveSpec(definition(), 'trixie', 'dev');
    expect(trixieDev.packages.include).toEqual(expect.arrayContaining(['libc6', 'python3', 'libssl3t64', 'python3-pip']));
    expect(trixieDev.packages.include).not.toContain('libssl3');
    expect(trixieDev.environment.A).toBe('trixie dev');
    expect(trixieDev.description).toBe('trixie py');
    const bookwormRuntime = effectiveSpec(definition(), 'bookworm', 'runtime');
    expect(bookwormRuntime.packages.include).toEqual(expect.arrayContaining(['libc6', 'python3', 'libssl3']));
    expect(bookwormRuntime.environment.A).toBe('top');
    expect(bookwormRuntime.tests.map((t) => t.name)).toEqual(['os-release says Debian 12 (bookworm)', 'top', 'bookworm only']);
  });

  test('tags: the release, -dev, and latest for the newest release the definition builds', () => {
    expect(effectiveSpec(definition(), 'trixie', 'runtime').tags).toEqual(['trixie', 'latest']);
    expect(effectiveSpec(definition(), 'trixie', 'dev').tags).toEqual(['trixie-dev', 'latest-dev']);
    expect(effectiveSpec(definition(), 'bookworm', 'dev').tags).toEqual(['bookworm-dev']);
    const bookwormOnly = definition({ releases: { bookworm: {} } });
    expect(effectiveSpec(bookwormOnly, 'bookworm', 'runtime').tags).toEqual(['bookworm', 'latest']);
    expect(() => effectiveSpec(bookwormOnly, 'trixie', 'runtime')).toThrow('py is not built for trixie (its releases: bookworm)');
  });

  test('a definition without releases is built for both; tag and suites are refused, naming the field', () => {
    const both = DefinitionSchema.parse({ name: 'x', description: 'x', packages: { include: ['libc6'] } });
    expect(Object.keys(both.releases)).toEqual(['trixie', 'bookworm']);
    const old = DefinitionSchema.safeParse({ name: 'x', description: 'x', packages: { include: ['libc6'] }, tag: 'bookworm', suites: ['bookworm'] });
    expect(old.success).toBe(false);
    expect(old.error?.issues.map((i) => i.path.join('.'))).toEqual(['tag', 'suites']);
    expect(DefinitionSchema.safeParse({ name: 'x', description: 'x', packages: { include: ['libc6'] }, releases: { sid: {} } }).success).toBe(false);
  });

  test('each release has its own lock file beside the definition', () => {
    expect(lockFileFor('/c/python.yaml', 'trixie')).toBe('/c/python.trixie.lock.json');
  });
});

describe('effectiveSpec for an architecture', () => {
  const perArch = () =>
    definition({
      environment: { JAVA_HOME: '/usr/lib/jvm/java-21-openjdk-${arch}' },
      paths: [{ path: '/usr/bin/java', type: 'symlink', target: '/usr/lib/jvm/java-21-openjdk-${arch}/bin/java' }],
      tests: [{ name: 'libssl', file: '/usr/lib/${multiarch}/libssl.so.3' }],
    });

  test('expands ${arch} and ${multiarch} in every field, per architecture', () => {
    const amd64 = effectiveSpec(perArch(), 'trixie', 'runtime', 'amd64');
    expect(amd64.environment.JAVA_HOME).toBe('/usr/lib/jvm/java-21-openjdk-amd64');
    expect(amd64.paths[0]).toEqual(expect.objectContaining({ target: '/usr/lib/jvm/java-21-openjdk-amd64/bin/java' }));
    expect(amd64.tests.at(-1)).toEqual(expect.objectContaining({ file: '/usr/lib/x86_64-linux-gnu/libssl.so.3' }));
    const arm64 = effectiveSpec(perArch(), 'trixie', 'runtime', 'arm64');
    expect(arm64.environment.JAVA_HOME).toBe('/usr/lib/jvm/java-21-openjdk-arm64');
    expect(arm64.tests.at(-1)).toEqual(expect.objectContaining({ file: '/usr/lib/aarch64-linux-gnu/libssl.so.3' }));
  });

  test('without an architecture: the definition\'s first (amd64 unless it narrows them)', () => {
    expect(effectiveSpec(perArch(), 'trixie', 'runtime')).toEqual(effectiveSpec(perArch(), 'trixie', 'runtime', 'amd64'));
    expect(effectiveSpec(perArch(), 'trixie', 'runtime').architectures).toEqual(['amd64', 'arm64']);
    const armOnly = definition({ architectures: ['arm64'], environment: { DIR: '/usr/lib/${multiarch}' } });
    expect(effectiveSpec(armOnly, 'trixie', 'runtime').environment.DIR).toBe('/usr/lib/aarch64-linux-gnu');
    expect(() => effectiveSpec(armOnly, 'trixie', 'runtime', 'amd64')).toThrow('py is not built for amd64 (its architectures: arm64)');
  });

  test('an unknown placeholder is an error naming the field, not a literal path in an image', () => {
    expect(() => effectiveSpec(definition({ environment: { LIBDIR: '/usr/lib/${mutliarch}' } }), 'trixie', 'runtime')).toThrow(
      'py (trixie runtime amd64).environment.LIBDIR: unknown placeholder ${mutliarch} (known: ${arch}, ${multiarch}, ${dynamicLoader})',
    );
  });

  test('the architecture list is checked: known names, no repeats, not empty', () => {
    expect(() => definition({ architectures: ['amd64', 'amd64'] })).toThrow('lists an architecture twice');
    expect(() => definition({ architectures: ['riscv64'] })).toThrow();
    expect(() => definition({ architectures: [] })).toThrow();
  });
});
