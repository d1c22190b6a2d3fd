import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../schema/errors';
import { customizationBases, readCustomization } from './load';

/** A customizations directory with one file `app.yaml` holding `yaml` (plus any other files given). */
function dirWith(yaml: string, others: Record<string, string> = {}): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-custom-'));
  for (const [name, content] of Object.entries(others)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  const file = path.join(dir, 'app.yaml');
  fs.writeFileSync(file, yaml);
  return { dir, file };
}

const HEADER = 'name: app\ndescription: test\nbase: { image: base }\ntagSuffix: app\n';

/** The problems readCustomization reports, as "field: problem" lines, or [] when it reads. */
function problems(yaml: string, others: Record<string, string> = {}): string[] {
  const { file } = dirWith(yaml, others);
  try {
    readCustomization(file);
    return [];
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    expect(err.where).toBe(file);
    return err.problems.map((p) => `${p.field}: ${p.problem}`);
  }
}

describe('readCustomization', () => {
  it('reads a valid customization with defaults', () => {
    const { file, dir } = dirWith(`${HEADER}files:\n  - { path: /etc/app/conf, source: app/conf, mode: "0640", uid: nonroot }\n`, { 'app/conf': 'x=1\n' });
    const loaded = readCustomization(file);
    expect(loaded.dir).toBe(dir);
    expect(loaded.customization.base.variant).toBe('runtime');
    expect(loaded.customization.files[0]).toEqual({ path: '/etc/app/conf', source: 'app/conf', mode: '0640', uid: 'nonroot' });
  });

  it.each([
    ['a relative path climbing out of the image', '../../etc/shadow', /files\[0\]\.path: must be an absolute path/],
    ['a path with ".." inside', '/etc/../etc/shadow', /files\[0\]\.path: must be normalized and stay inside the image root/],
    ['a relative path', 'etc/app.conf', /files\[0\]\.path: must be an absolute path/],
    ['the image root', '/', /files\[0\]\.path: must name a file/],
  ])('refuses %s as a file path', (_what, imagePath, expected) => {
    const found = problems(`${HEADER}files:\n  - { path: "${imagePath}", content: x }\n`);
    expect(found).toContainEqual(expect.stringMatching(expected));
    expect(found.every((p) => p.startsWith('files[0].path: '))).toBe(true);
  });

  it.each([
    ['an unquoted YAML number', '0644', /files\[0\]\.mode: must be a quoted octal string/],
    ['a non-octal digit', '"0999"', /files\[0\]\.mode: must be an octal mode/],
    ['setuid', '"4755"', /files\[0\]\.mode: must be an octal mode .*no setuid/],
    ['world-writable', '"0666"', /files\[0\]\.mode: must not be world-writable/],
    ['text', '"rwxr-xr-x"', /files\[0\]\.mode: must be an octal mode/],
  ])('refuses a bad mode: %s', (_what, mode, expected) => {
    expect(problems(`${HEADER}files:\n  - { path: /etc/app.conf, content: x, mode: ${mode} }\n`)).toEqual([expect.stringMatching(expected)]);
  });

  it('refuses absolute host sources and sources climbing out of the directory', () => {
    expect(problems(`${HEADER}files:\n  - { path: /etc/shadow-copy, source: /etc/shadow }\n`)).toEqual([
      expect.stringMatching(/^files\[0\]\.source: must be relative to the customization directory \(absolute host paths are refused\)/),
    ]);
    expect(problems(`${HEADER}files:\n  - { path: /etc/x, source: ../../etc/shadow }\n`)).toEqual([
      expect.stringMatching(/^files\[0\]\.source: must stay inside the customization directory/),
    ]);
  });

  it('refuses a source that escapes the directory through a symlink', () => {
    const { dir, file } = dirWith(`${HEADER}files:\n  - { path: /etc/x, source: app/innocent }\n`);
    fs.mkdirSync(path.join(dir, 'app'));
    fs.symlinkSync('/etc/hostname', path.join(dir, 'app', 'innocent'));
    expect(() => readCustomization(file)).toThrow(/files\[0\]\.source: "app\/innocent" resolves through a symlink to \/etc\/hostname, outside the customization's own directory/);
  });

  it('refuses a source in another customization\'s directory: each reads only its own', () => {
    expect(problems(`${HEADER}files:\n  - { path: /etc/x, source: ../other-team/secret }\n`, { 'app/keep': 'x', 'other-team/secret': 'theirs' })).toEqual([
      'files[0].source: must stay inside the customization directory (no "..")',
    ]);
    // The older form, relative to the shared directory, reaches the same place: only the own directory.
    expect(problems(`${HEADER}files:\n  - { path: /etc/x, source: other-team/secret }\n`, { 'app/keep': 'x', 'other-team/secret': 'theirs' })).toEqual([
      expect.stringMatching(/^files\[0\]\.source: "other-team\/secret" .*\/app\/other-team\/secret does not exist/),
    ]);
  });

  it('refuses a missing source and a directory as source', () => {
    expect(problems(`${HEADER}files:\n  - { path: /etc/x, source: nope }\n`)).toEqual([expect.stringMatching(/^files\[0\]\.source: "nope" .*does not exist/)]);
    expect(problems(`${HEADER}files:\n  - { path: /etc/x, source: sub }\n`, { 'app/sub/f': 'x' })).toEqual([expect.stringMatching(/^files\[0\]\.source: "sub" .*is not a regular file/)]);
  });

  it('refuses files at paths tempered writes itself', () => {
    expect(problems(`${HEADER}files:\n  - { path: /etc/passwd, content: "root::0:0::/:/bin/sh" }\n  - { path: /var/lib/dpkg/status, content: "" }\n`)).toEqual([
      'files[0].path: /etc/passwd is written by tempered; use accounts.users instead',
      'files[1].path: /var/lib/dpkg/status is written by tempered; use packages instead',
    ]);
  });

  it('refuses both or neither of content and source, and a path given twice', () => {
    expect(problems(`${HEADER}files:\n  - { path: /etc/x }\n`)).toEqual(['files[0]: give exactly one of content or source']);
    expect(problems(`${HEADER}files:\n  - { path: /etc/x, content: a }\n  - { path: /etc/x, content: b }\n`)).toEqual(['files: names a path twice']);
  });

  it('refuses a package name Debian would refuse, and the dev tag suffix', () => {
    expect(problems(`${HEADER.replace('tagSuffix: app', 'tagSuffix: dev')}packages: [Curl]\n`)).toEqual([
      'tagSuffix: "dev" is taken by the dev variant of every catalog image',
      'packages[0]: is not a Debian package name (lowercase letters, digits, ".", "+", "-")',
    ]);
  });

  it('checks certificates: valid CA PEM only', () => {
    expect(problems(`${HEADER}certificates:\n  - { name: corp, content: "hello" }\n`)).toEqual([
      'certificates[0].content: holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
    ]);
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(problems(`${HEADER}certificates:\n  - { name: corp, source: corp.pem }\n`, { 'app/corp.pem': broken })).toEqual([
      expect.stringMatching(/^certificates\[0\]\.source: "corp.pem" certificate 1 is not valid X\.509/),
    ]);
  });

  it('names the file when the name disagrees with it', () => {
    expect(problems(HEADER.replace('name: app', 'name: other'))).toEqual(['name: "other" must match the file name "app"']);
  });
});

describe('customizationBases', () => {
  it('reads the base of a customization that is otherwise broken, and reports one whose base cannot be read', () => {
    const { dir } = dirWith(`${HEADER}files:\n  - { path: ../../etc/shadow, content: x }\n`, { 'broken.yaml': 'name: broken\nbase: [\n' });
    const { bases, unreadable } = customizationBases(dir);
    expect(bases).toEqual([{ name: 'app', base: { image: 'base', release: 'bookworm', variant: 'runtime' }, tagSuffix: 'app' }]);
    expect(unreadable).toEqual([{ file: path.join(dir, 'broken.yaml'), problem: expect.stringMatching(/YAML/) }]);
  });
});

describe('reserved annotations', () => {
  it.each(['org.opencontainers.image.base.digest', 'org.opencontainers.image.base.name', 'dev.tempered.lock.digest', 'dev.tempered.variant', 'org.opencontainers.image.created'])('refuses %s, which the builder sets', (key) => {
    expect(problems(`${HEADER}annotations:\n  ${key}: forged\n`)).toEqual([`annotations.${key}: ${key} is set by the builder (it names the base, the lock or the variant) and cannot be given here`]);
  });
  it('keeps the others', () => {
    expect(problems(`${HEADER}annotations:\n  org.opencontainers.image.url: https://example.com\n`)).toEqual([]);
  });
});
