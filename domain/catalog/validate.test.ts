/**
 * A definition is refused when it is read, with file, field and problem,
 * for every kind of mistake the schema and validate.ts can see. The catalog
 * itself must pass the same reading.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { InputError } from '../schema/errors';
import { definitionFiles, readDefinition } from './load';

const CATALOG = path.join(__dirname, '../../catalog');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-definitions-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A small definition that passes; each test breaks one thing. */
const valid = () => ({
  name: 'demo',
  description: 'a demo image',
  packages: { include: ['base-files', 'libc6'] },
  accounts: {
    groups: [{ name: 'nonroot', gid: 65532 }],
    users: [{ name: 'nonroot', uid: 65532, gid: 65532, home: '/home/nonroot' }],
    runAs: 'nonroot',
  },
  paths: [{ path: '/tmp', type: 'directory', mode: '1777' }],
  tests: [{ name: 'os-release', file: '/etc/os-release' }],
  variants: { dev: { accounts: { runAs: 'root' } } },
});
type Doc = ReturnType<typeof valid> & Record<string, unknown>;

function write(doc: unknown, name = 'demo'): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, typeof doc === 'string' ? doc : YAML.stringify(doc));
  return file;
}

/** The problems of reading `doc` as `field: problem` lines (and checks that each names the file). */
function problemsOf(doc: unknown): string[] {
  const file = write(doc);
  try {
    readDefinition(file);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const lines = (err as InputError).message.split('\n');
    for (const line of lines) expect(line.startsWith(`${file}: `)).toBe(true);
    return lines.map((l) => l.slice(file.length + 2));
  }
  return [];
}

function broken(change: (d: Doc) => void): string[] {
  const doc = valid() as Doc;
  change(doc);
  return problemsOf(doc);
}

describe('the catalog', () => {
  const files = definitionFiles(CATALOG);
  it('has the five images', () => {
    expect(files.map((f) => path.basename(f, '.yaml'))).toEqual(expect.arrayContaining(['base', 'cc', 'nginx', 'python', 'static']));
  });
  it.each(files.map((f) => [path.basename(f), f]))('%s reads without problems', (_name, file) => {
    expect(() => readDefinition(file)).not.toThrow();
  });
});

describe('a definition is refused, naming file, field and problem', () => {
  it('accepts the valid one', () => {
    expect(problemsOf(valid())).toEqual([]);
  });

  it('YAML that does not parse, with its line', () => {
    expect(problemsOf('name: demo\ndescription: a: b\n')).toEqual([expect.stringMatching(/^YAML: .*line 2/)]);
  });

  it('an unknown field, at any depth, named as the field itself', () => {
    expect(broken((d) => (d.colour = 'blue'))).toEqual(['colour: unknown field (a typo, or a field this definition format does not have)']);
    expect(broken((d) => (d.variants = { ...d.variants, runtime: { entrypiont: ['/x'] } } as Doc['variants']))).toEqual([
      'variants.runtime.entrypiont: unknown field (a typo, or a field this definition format does not have)',
    ]);
    expect(broken((d) => (d.variants = { ...d.variants, staging: {} } as Doc['variants']))).toEqual([
      expect.stringMatching(/^variants\.staging: unknown field/),
    ]);
  });

  it('a missing required field', () => {
    expect(broken((d) => delete (d as Partial<Doc>).description)).toEqual([expect.stringMatching(/^description: /)]);
  });

  it('a name that is not its file name', () => {
    expect(broken((d) => (d.name = 'other'))).toEqual(['name: "other" must match the file name "demo"']);
  });

  it('a package name Debian would not accept', () => {
    expect(broken((d) => d.packages.include.push('Libc6'))).toEqual([expect.stringMatching(/^packages\.include\[2\]: is not a Debian package name/)]);
  });

  it('a relative path, a path leaving the root, a path with empty segments', () => {
    expect(broken((d) => d.paths.push({ path: 'etc/app.conf', type: 'directory', mode: '0755' }))).toEqual(['paths[1].path: must be an absolute path']);
    expect(broken((d) => d.paths.push({ path: '/etc/../../host', type: 'directory', mode: '0755' }))).toEqual([
      expect.stringMatching(/^paths\[1\]\.path: must be normalized and stay inside the image root/),
    ]);
    expect(broken((d) => (d.tests = [{ name: 'x', file: '/etc//passwd' }]))).toEqual([expect.stringMatching(/^tests\[0\]\.file: must be normalized/)]);
  });

  it('a file mode that is not octal', () => {
    expect(broken((d) => (d.paths[0]!.mode = '999'))).toEqual(['paths[0].mode: must be an octal mode such as "0644" or "1777"']);
    expect(broken((d) => (d.paths[0]!.mode = 'rwx'))).toEqual(['paths[0].mode: must be an octal mode such as "0644" or "1777"']);
  });

  it('a path type that does not exist', () => {
    expect(broken((d) => (d.paths[0]!.type = 'fifo'))).toEqual([expect.stringMatching(/^paths\[0\]\.type: .*directory.*file.*symlink/)]);
  });

  it('an unknown user or group, as runAs, owner, group or member', () => {
    expect(broken((d) => (d.accounts.runAs = 'appuser'))).toEqual([
      'accounts.runAs: unknown user "appuser": define it under accounts.users (root and nobody exist in every image)',
    ]);
    expect(broken((d) => d.paths.push({ path: '/var/lib/app', type: 'directory', mode: '0700', owner: 'app' } as Doc['paths'][number]))).toEqual([
      'paths[1].owner: unknown user "app": define it under accounts.users (root and nobody exist in every image)',
    ]);
    expect(broken((d) => d.paths.push({ path: '/srv', type: 'directory', mode: '0750', group: 'www' } as Doc['paths'][number]))).toEqual([
      'paths[1].group: unknown group "www": define it under accounts.groups (root and nogroup exist in every image)',
    ]);
    expect(broken((d) => (d.accounts.groups[0] = { name: 'nonroot', gid: 65532, members: ['ghost'] } as Doc['accounts']['groups'][number]))).toEqual([
      expect.stringMatching(/^accounts\.groups\[0\]\.members\[0\]: unknown user "ghost"/),
    ]);
  });

  it('a user whose primary group nobody defines, and ids given twice', () => {
    expect(broken((d) => d.accounts.users.push({ name: 'app', uid: 1000, gid: 1000, home: '/home/app' }))).toEqual([
      'accounts.users[1].gid: no group has gid 1000: define it under accounts.groups',
    ]);
    expect(broken((d) => d.accounts.users.push({ name: 'twin', uid: 65532, gid: 65532, home: '/home/twin' }))).toEqual([
      'accounts.users[1]: uid 65532 of "twin" is already "nonroot" (accounts.users[0])',
    ]);
    expect(broken((d) => d.accounts.groups.push({ name: 'wheel', gid: 0 }))).toEqual(['accounts.groups[1]: gid 0 of "wheel" is already "root" (built in)']);
  });

  it('a runtime variant that would not run as 65532:65532, a dev variant that would not run as root', () => {
    expect(broken((d) => (d.accounts.runAs = 'root'))).toEqual([
      'accounts.runAs: the runtime variant must run as 65532:65532 (runtime policy), not 0:0',
    ]);
    expect(broken((d) => (d.variants = {} as Doc['variants']))).toEqual([
      'accounts.runAs: the dev variant must run as root (dev policy), not uid 65532: set variants.dev.accounts.runAs to root',
    ]);
  });

  it('a package both included and excluded, a runtime package that brings a shell, a dev essential excluded', () => {
    expect(broken((d) => ((d.packages as { exclude?: string[] }).exclude = ['libc6']))).toEqual([
      'packages.exclude[0]: "libc6" is also included (packages.include[1]): a package cannot be both',
    ]);
    expect(broken((d) => d.packages.include.push('bash'))).toEqual([
      'packages.include[2]: "bash" puts a shell, apt, dpkg or perl into the runtime image, which the runtime policy forbids: include it under variants.dev only',
    ]);
    expect(broken((d) => (d.variants.dev = { ...d.variants.dev, packages: { exclude: ['apt'] } } as Doc['variants']['dev']))).toEqual([
      'variants.dev.packages.exclude[0]: "apt" is required in every dev image (dev policy) and cannot be excluded',
    ]);
  });

  it('the same path twice in one list (a variant may replace a top-level one)', () => {
    expect(broken((d) => d.paths.push({ path: '/tmp', type: 'directory', mode: '0755' }))).toEqual(['paths[1].path: /tmp is already given at paths[0]']);
    expect(broken((d) => (d.variants.dev = { ...d.variants.dev, paths: [{ path: '/tmp', type: 'directory', mode: '1777' }] } as Doc['variants']['dev']))).toEqual([]);
  });

  it('a test of no known shape, and a test whose shape is clear but whose field is wrong', () => {
    expect(broken((d) => d.tests.push({ name: 'what' } as Doc['tests'][number]))).toEqual([
      'tests[1]: a test needs one of "command", "file" or "metadata"',
    ]);
    expect(broken((d) => d.tests.push({ name: 'ls', command: 'ls -l' } as unknown as Doc['tests'][number]))).toEqual([
      expect.stringMatching(/^tests\[1\]\.command: .*expected array/),
    ]);
    expect(broken((d) => d.tests.push({ name: 'f', file: '/x', exist: false } as unknown as Doc['tests'][number]))).toEqual([
      'tests[1].exist: unknown field (a typo, or a field this definition format does not have)',
    ]);
  });

  it('two tests of one name, a regular expression that does not compile', () => {
    expect(broken((d) => d.tests.push({ name: 'os-release', file: '/etc/debian_version' }))).toEqual([
      'tests[1].name: "os-release" is already the name of tests[0]: test reports are keyed by name',
    ]);
    expect(broken((d) => d.tests.push({ name: 'v', command: ['/app', '--version'], stdoutMatches: '^v(1' } as unknown as Doc['tests'][number]))).toEqual([
      expect.stringMatching(/^tests\[1\]\.stdoutMatches: is not a linear-time \(RE2\) regular expression/),
    ]);
  });

  it('reports every problem of a definition at once', () => {
    const problems = broken((d) => {
      d.colour = 'blue';
      d.paths[0]!.mode = '888';
      d.paths.push({ path: 'relative', type: 'directory', mode: '0755' });
    });
    expect(problems).toHaveLength(3);
  });
});
