/**
 * Bad-input corpus: the YAML files people write, image definitions
 * (domain/catalog/load.ts readDefinition) and customizations
 * (domain/customization/load.ts readCustomization), as text in real files.
 *
 * Every refusal must be an InputError naming the file and the field: the
 * activities turn exactly that error into a non-retryable InvalidDefinition
 * (activities/failures.ts); any other error type is retried by Temporal
 * as if it were transient, so it would never reach on-call. Cases are a
 * valid document plus targeted mutations of the parsed object (then written
 * as YAML), or of the text itself (syntax, aliases, nesting).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { findDefinition, readDefinition } from '../../domain/catalog/load';
import { customizationFile, readCustomization } from '../../domain/customization/load';
import { InputError } from '../../domain/schema/errors';
import {
  DELETE, distinctFields, fcParams, junkValue, type Mutation, namesField, notArray, notObject, protoKey, RUNS, shallowNotString as notString,
  unknownKey, withOwnKey,
  at, type Doc,
} from './arbitraries';


let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-corpus-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Reads `text` from `file` with `read`; returns the InputError's problems as `field: problem` lines. Any other outcome is a defect. */
function refusal(read: (file: string) => unknown, file: string, text: string): string[] {
  fs.writeFileSync(file, text);
  let err: unknown;
  try {
    const accepted = read(file);
    throw new Error(`accepted: ${JSON.stringify(accepted).slice(0, 400)}\n--- text ---\n${text.slice(0, 800)}`);
  } catch (e) {
    err = e;
  }
  if (!(err instanceof InputError)) throw new Error(`threw ${(err as Error)?.name} instead of InputError: ${(err as Error)?.message?.slice(0, 300)}\n--- text ---\n${text.slice(0, 800)}`);
  expect(err.where).toBe(file);
  expect(err.problems.length).toBeGreaterThan(0);
  return err.problems.map((p) => `${p.field}: ${p.problem}`);
}

function assertNames(lines: string[], mutations: Mutation<Doc>[], all: boolean, text: string): void {
  const joined = lines.join('\n');
  const named = mutations.filter((m) => namesField(joined, m));
  if (all ? named.length !== mutations.length : named.length === 0) {
    throw new Error(`${JSON.stringify(lines).slice(0, 600)} do not name ${mutations.map((m) => `${m.field} (${m.what})`).join(', ')}\n--- text ---\n${text.slice(0, 800)}`);
  }
}

/** YAML text of a document; own `__proto__` keys are written like any key (YAML has no prototypes). */
const yamlOf = (doc: Doc) => YAML.stringify(doc, { aliasDuplicateObjects: false });


// ------------------------------------------------------------------ text mutations shared by both formats

/** Broken YAML: the parser's message carries the line, which is the only "field" a syntax error has. */
const brokenYaml = fc.constantFrom(
  'name: [unclosed\n',
  'name: x\n\tdescription: tab indented\n',
  'name: x\nname: y\n',
  'a: *undefined_alias\n',
  'name: "unterminated\n',
  'key: value\n  bad: indentation\n: no key\n',
  '- a\nb: c\n',
  'name: x\n---\nname: y\n',
);

/** Whole documents that are not a mapping. */
const notAMapping = fc.constantFrom('', '# only a comment\n', '[1, 2]\n', 'just text\n', '42\n', 'null\n', '"quoted"\n', '- name: x\n');

/** Exponential aliases ("billion laughs"): the YAML library refuses them; the refusal must still be an InputError. */
const aliasBomb = fc.integer({ min: 4, max: 7 }).map((levels) => {
  const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
});

/** `modulePath`: where `read` lives, relative to this file (the child process loads it from there by name). */
function textCorpus(name: string, read: (file: string) => unknown, modulePath: string, dir: () => string, fileName: string) {
  describe(`${name}: text that is not a usable document`, () => {
    it(`refuses ${RUNS} broken or non-mapping YAML texts with an InputError naming the line or the document`, () => {
      fc.assert(
        fc.property(fc.oneof(brokenYaml, notAMapping), fc.string({ maxLength: 20 }).map((s) => `# ${s.replace(/[\r\n\u2028\u2029\u0085]/g, ' ')}\n`), (text, comment) => {
          const lines = refusal(read, path.join(dir(), fileName), comment + text);
          expect(lines.join('\n')).toMatch(/YAML: .*line \d+|expected object/);
        }),
        fcParams(),
      );
    });

    it('refuses 200 deeply nested documents with an InputError', () => {
      // Written as flow text, as an attacker would: `name: [[[{a: [...]}]]]`, up to 2,000 levels deep. (200 cases:
      // each costs a parse of a long line, and the kind's 1,000 are the properties above.)
      const deepText = fc.tuple(fc.integer({ min: 50, max: 2000 }), fc.constantFrom('name', 'description', 'paths', 'extra'), fc.boolean()).map(([depth, key, maps]) => {
        const open = maps ? Array.from({ length: depth }, (_, i) => (i % 2 ? '{a: ' : '[')).join('') : '['.repeat(depth);
        const close = maps ? Array.from({ length: depth }, (_, i) => ((depth - 1 - i) % 2 ? '}' : ']')).join('') : ']'.repeat(depth);
        return `${key}: ${open}x${close}\n`;
      });
      fc.assert(fc.property(deepText, (text) => void refusal(read, path.join(dir(), fileName), text)), fcParams(200));
    });

    it.each([
      ['flow collections', 'name: ', (d: number) => `${'['.repeat(d)}x${']'.repeat(d)}`],
      ['compact block sequences', 'name:\n  ', (d: number) => `${'- '.repeat(d)}x`],
    ])('survives %s nested tens of thousands of levels deep (read in a child process: a crash must not take jest down)', (_form, head, body) => {
      // The YAML parser overflows the stack and reports it; after one or two such documents V8 aborts the whole
      // process ("RegExpCompiler Allocation failed - process out of memory", SIGABRT). A worker reading such a
      // customization would die, and so would every worker its retries reach. 40 KB of text is enough.
      const script = [
        `const fs = require('node:fs');`,
        `const { InputError } = require(${JSON.stringify(path.resolve(__dirname, '../../domain/schema/errors'))});`,
        `const read = require(${JSON.stringify(path.resolve(__dirname, modulePath))}).${read.name};`,
        `const file = ${JSON.stringify(path.join(dir(), fileName))};`,
        `const body = ${body.toString()};`,
        `for (const depth of [5000, 20000, 50000]) {`,
        `  fs.writeFileSync(file, ${JSON.stringify(head)} + body(depth) + '\\n');`,
        `  try { read(file); console.log(depth, 'accepted'); } catch (e) { console.log(depth, e instanceof InputError ? 'InputError' : e.name); }`,
        `}`,
      ].join('\n');
      const child = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { encoding: 'utf8', timeout: 120_000 });
      expect({ status: child.status, signal: child.signal, stdout: child.stdout.trim().split('\n'), fatal: child.stderr.split('\n').find((l) => /FATAL|Error/.test(l)) }).toEqual({
        status: 0, signal: null, stdout: ['5000 InputError', '20000 InputError', '50000 InputError'], fatal: undefined,
      });
    });

    it('refuses an exponential alias document with an InputError, not a ReferenceError', () => {
      fc.assert(fc.property(aliasBomb, (text) => void refusal(read, path.join(dir(), fileName), text)), fcParams(20));
    });
  });
}

// ------------------------------------------------------------------ image definitions

/**
 * What every document kind must hold: the valid generator's documents read
 * (so each refusal is the mutation's), and a document with one broken field,
 * or several, is refused naming it (or at least one of them).
 */
function mutationCorpus(
  kind: string, valid: fc.Arbitrary<Doc>, mutation: fc.Arbitrary<Mutation<Doc>>,
  read: (file: string) => unknown, nameOf: (file: string) => string, name: string, file: () => string,
): void {
  it(`the valid generator makes ${kind}s that read (so every refusal below is the mutation's)`, () => {
    fc.assert(
      fc.property(valid, (doc) => {
        fs.writeFileSync(file(), yamlOf(doc));
        expect(nameOf(file())).toBe(name);
      }),
      fcParams(100),
    );
  });

  it(`refuses ${RUNS} ${kind}s with one broken field, naming it`, () => {
    fc.assert(
      fc.property(valid, mutation, (doc, m) => {
        const text = yamlOf(m.apply(doc));
        assertNames(refusal(read, file(), text), [m], true, text);
      }),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} ${kind}s with several broken fields, naming at least one`, () => {
    fc.assert(
      fc.property(valid, fc.array(mutation, { minLength: 2, maxLength: 3 }).filter(distinctFields), (doc, mutations) => {
        const text = yamlOf(mutations.reduce((d, m) => m.apply(d), doc));
        assertNames(refusal(read, file(), text), mutations, false, text);
      }),
      fcParams(),
    );
  });
}

/** A definition that satisfies the schema and every policy check (the generator is itself checked below). */
const validDefinition = fc
  .record({
    description: fc.string({ minLength: 1, maxLength: 40 }),
    packages: fc.subarray(['base-files', 'netbase', 'tzdata', 'ca-certificates', 'media-types', 'libc6', 'libssl3'], { minLength: 1 }),
    env: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
    file: fc.stringMatching(/^\/etc\/[a-z]{1,8}\.conf$/),
  })
  .map(({ description, packages, env, file }) => ({
    name: 'img',
    description,
    releases: { bookworm: {} },
    packages: { include: packages },
    accounts: {
      groups: [{ name: 'nonroot', gid: 65532 }],
      users: [{ name: 'nonroot', uid: 65532, gid: 65532, home: '/home/nonroot' }],
      runAs: 'nonroot',
    },
    environment: { PATH: '/usr/bin:/bin', ...env },
    workdir: '/home/nonroot',
    paths: [
      { path: '/tmp', type: 'directory', mode: '1777' },
      { path: file, type: 'file', mode: '0644', content: 'x = 1\n', owner: 'nonroot' },
    ],
    tests: [{ name: 'os-release', file: '/etc/os-release', contains: 'VERSION_ID="12"' }],
    variants: { runtime: { tests: [{ name: 'env', metadata: { env: { PATH: '/usr/bin:/bin' } } }] }, dev: { accounts: { runAs: 'root' } } },
  }));

const badImagePath = fc.oneof(
  fc.constantFrom('tmp', '', '//tmp', '/tmp/', '/tmp/..', '/tmp/../../etc/shadow', '/./tmp', '/tmp//x', '../etc/passwd', '/a\u0000b', 'C:\\tmp', '~/x'),
  fc.stringMatching(/^[a-z]{1,6}$/).map((s) => `/${s}/../../${s}`),
);
const badMode = fc.oneof(fc.constantFrom('0999', '644 ', '0o644', 'rwxr-xr-x', '17777', '7', '', '0x1ff', '٠٦٤٤'), fc.integer({ min: 0, max: 99999 }), fc.constant(null));
const badAccountName = fc.constantFrom('Root', '0abc', 'a'.repeat(33), 'a:b', 'a b', '', '-x', 'nön');
const badId = fc.oneof(fc.constantFrom(-1, 1.5, 4294967295, '65532', null, 2 ** 53), fc.integer({ max: -1 }));
const badPackageName = fc.constantFrom('LibC6', 'a', '-x', 'lib_c', 'lib c', '../libc6', 'libc6\n', '');

const definitionMutation: fc.Arbitrary<Mutation<Doc>> = fc.oneof(
  fc.constantFrom('Img', 'img/../x', '', '-img', 'img\u200b', 'other', '../img').map((v) => at('name', 'bad or mismatched name', v)),
  fc.oneof(fc.constant(''), notString, fc.constant(DELETE)).map((v) => at('description', 'bad description', v)),
  // `tag` and `suites` are gone (a release names both): any value is refused, naming the field.
  fc.constantFrom('bookworm', 'latest', '-x').map((v) => at('tag', 'removed field tag', v)),
  fc.constantFrom(['bookworm'], ['trixie-security']).map((v) => at('suites', 'removed field suites', v)),
  fc.constantFrom({}, { sid: {} }, { bookworm: { tag: 'x' } }, { trixie: { packages: { include: ['Bad'] } } }, 'trixie').map((v) => at('releases', 'bad releases', v)),
  fc.constant(DELETE).map((v) => at('packages', 'no packages', v)),
  notArray.map((v) => at('packages.include', 'include not a list', v)),
  badPackageName.map((v) => at('packages.include[0]', 'bad package name', v)),
  fc.constantFrom('bash', 'apt', 'dpkg', 'perl').map((v) => at('packages.include[0]', 'shell or package manager in runtime', v)),
  fc.constantFrom('relative/*', 'usr/share/man', '').map((v) => at('prune[0]', 'relative prune', v)),
  badId.map((v) => at('accounts.users[0].uid', 'bad uid', v)),
  badAccountName.map((v) => at('accounts.users[0].name', 'bad user name', v)),
  badImagePath.map((v) => at('accounts.users[0].home', 'bad home', v)),
  fc.constantFrom('a:b', 'x\ny').map((v) => at('accounts.users[0].gecos', 'bad gecos', v)),
  fc.constantFrom('root', 0, 'ghost', 1000).map((v) => at('accounts.runAs', 'runtime not running as nonroot', v)),
  fc.constantFrom('nonroot', 65532, 'ghost').map((v) => at('variants.dev.accounts.runAs', 'dev not running as root', v)),
  fc.constantFrom('A-B', '1X', 'A B', '\u00e9', 'A=B').map((k) => at(`environment.${k}`, 'bad environment name', 'x', 'environment')),
  notString.map((v) => at('environment.PATH', 'environment value not a string', v)),
  fc.oneof(notArray, fc.constant([1])).map((v) => at('entrypoint', 'bad entrypoint', v)),
  badImagePath.map((v) => at('workdir', 'bad workdir', v)),
  badImagePath.map((v) => at('paths[1].path', 'path traversal or unnormalized path', v)),
  badMode.map((v) => at('paths[1].mode', 'bad mode', v)),
  fc.oneof(fc.constantFrom('dir', 'fifo', 'hardlink', ''), notString).map((v) => at('paths[1].type', 'bad path type', v)),
  fc.constantFrom('ghost', 'Root').map((v) => at('paths[1].owner', 'unknown owner', v)),
  fc.constant('/tmp').map((v) => at('paths[1].path', 'path given twice', v)),
  fc.constantFrom<unknown>({ name: '' }, { name: 't', command: [] }, { name: 't', command: ['x'], exitCode: 256 }, { name: 't', command: ['x'], timeoutSeconds: 0 }, { name: 't' }, 'test', null)
    .map((v) => at('tests[0]', 'bad test', v)),
  fc.constantFrom('entrypiont', 'packges', 'user', '__proto__', 'constructor').map((k) => at(`variants.runtime.${k}`, 'unknown variant field', ['x'])),
  fc.constantFrom('prod', 'Runtime', '__proto__').map((k) => at(`variants.${k}`, 'unknown variant', {})),
  fc.oneof(unknownKey.filter((k) => k.trim() !== ''), protoKey).chain((k) => junkValue.map((v) => at(k, 'unknown top-level field', v))),
  notString.filter((v) => v !== null).map((v) => at('labels.team', 'label not a string', v)),
);

describe('image definition corpus', () => {
  const dir = () => path.join(tmp, 'catalog');
  const file = () => path.join(dir(), 'img.yaml');
  beforeAll(() => fs.mkdirSync(path.join(tmp, 'catalog'), { recursive: true }));

  mutationCorpus('definition', validDefinition, definitionMutation, readDefinition, (f) => readDefinition(f).name, 'img', file);

  it('refuses an own __proto__ key in environment, labels or annotations rather than dropping it unread', () => {
    fc.assert(
      fc.property(validDefinition, fc.constantFrom('environment', 'labels', 'annotations'), junkValue, (doc, field, value) => {
        const copy = JSON.parse(JSON.stringify(doc)) as Doc;
        copy[field] = withOwnKey({ ...((copy[field] as Doc | undefined) ?? {}) }, '__proto__', value);
        const text = yamlOf(copy);
        assertNames(refusal(readDefinition, file(), text), [{ field: `${field}.__proto__`, what: 'own __proto__ key', apply: (d) => d }], true, text);
      }),
      fcParams(100),
    );
  });

  /** The catalog's own lookup: an image name from the CLI or a workflow must never leave the catalog directory. */
  it('findDefinition refuses names that climb out of the catalog, even onto a valid definition', () => {
    const outside = path.join(tmp, 'outside');
    fs.mkdirSync(outside, { recursive: true });
    fs.writeFileSync(path.join(outside, 'evil.yaml'), yamlOf({ ...fc.sample(validDefinition, { numRuns: 1, seed: 1 })[0], name: 'evil' }));
    for (const name of ['../outside/evil', 'x/../../outside/evil', path.join(outside, 'evil'), '..', './img']) {
      let err: unknown;
      try {
        findDefinition(dir(), name);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).problems[0]?.field).toBe('name');
    }
  });

  textCorpus('image definitions', readDefinition, '../../domain/catalog/load', () => path.join(tmp, 'catalog'), 'img.yaml');
});

// ------------------------------------------------------------------ customizations

const validCustomization = fc
  .record({
    description: fc.string({ minLength: 1, maxLength: 40 }),
    packages: fc.uniqueArray(fc.constantFrom('curl', 'libsqlite3-0', 'jq', 'tini'), { maxLength: 3 }),
    env: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
    mode: fc.constantFrom('0644', '0640', '0600', '644', '0755'),
  })
  .map(({ description, packages, env, mode }) => ({
    name: 'app',
    description,
    base: { image: 'base', variant: 'runtime' },
    tagSuffix: 'app',
    packages,
    files: [
      { path: '/etc/app/app.conf', content: 'x = 1\n', mode, uid: 'nonroot' },
      { path: '/etc/app/data.txt', source: 'files/data.txt' },
    ],
    environment: env,
    workdir: '/etc/app',
    tests: [{ name: 'conf', file: '/etc/app/app.conf' }],
  }));

const badSourcePath = fc.oneof(
  fc.constantFrom('../outside.txt', '/etc/hostname', 'files/../../outside.txt', '', 'files/missing.txt', 'escape.txt', 'files', 'a\u0000b', '..', './../outside.txt'),
  fc.stringMatching(/^[a-z]{1,5}$/).map((s) => `${s}/../../${s}`),
);

const customizationMutation: fc.Arbitrary<Mutation<Doc>> = fc.oneof(
  fc.constantFrom('App', '', 'other', '../app', 'app\u200b').map((v) => at('name', 'bad or mismatched name', v)),
  fc.oneof(fc.constant(''), notString, fc.constant(DELETE)).map((v) => at('description', 'bad description', v)),
  notObject.map((v) => at('base', 'base not an object', v)),
  fc.constantFrom('Base', '', '../base', 'base:latest').map((v) => at('base.image', 'bad base image', v)),
  fc.oneof(fc.constantFrom('prod', 'Runtime', ''), notString).map((v) => at('base.variant', 'bad variant', v)),
  fc.oneof(fc.constantFrom('dev', 'App', '-x', '', 'a b', 'x'.repeat(62), '../x', 'a/b'), notString).map((v) => at('tagSuffix', 'bad tag suffix', v)),
  fc.constant(['curl', 'curl']).map((v) => at('packages', 'package twice', v)),
  badPackageName.map((v) => at('packages[0]', 'bad package name', v)),
  badImagePath.filter((p) => p !== '').map((v) => at('files[0].path', 'bad image path', v)),
  fc.constantFrom('/', '/etc/passwd', '/etc/shadow', '/etc/group', '/var/lib/dpkg/status', '/etc/ssl/certs/ca-certificates.crt').map((v) => at('files[0].path', 'root or a path tempered writes', v)),
  badSourcePath.map((v) => at('files[1].source', 'source outside the directory, missing, or not a file', v)),
  fc.constant(at('files[0].content', 'neither content nor source', DELETE, 'files[0]')),
  fc.constant(at('files[0].source', 'both content and source', 'files/data.txt', 'files[0]')),
  badMode.map((v) => at('files[0].mode', 'bad mode', v)),
  fc.constantFrom('4755', '2755', '1755', '0777', '0666', '0646', '0002').map((v) => at('files[0].mode', 'setuid, sticky or world-writable', v)),
  badId.filter((v) => typeof v !== 'string').map((v) => at('files[0].uid', 'bad uid', v)),
  fc.constant('/etc/app/app.conf').map((v) => at('files[1].path', 'path twice', v, 'files')),
  fc.constantFrom('../x', 'a b', '', '.hidden', 'x'.repeat(102)).map((v) => at('certificates[0].name', 'bad certificate name', v)),
  fc.constantFrom('not a pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n').map((v) => at('certificates[0]', 'not a CA certificate', { name: 'corp', content: v }, 'certificates[0].content')),
  badSourcePath.map((v) => at('certificates[0]', 'certificate source outside or missing', { name: 'corp', source: v }, 'certificates[0]')),
  fc.constantFrom('A-B', '1X', 'A B', 'A=B').map((k) => at(`environment.${k}`, 'bad environment name', 'x', 'environment')),
  badImagePath.map((v) => at('workdir', 'bad workdir', v)),
  badId.map((v) => at('accounts.users[0]', 'bad user', { name: 'svc', uid: v, gid: 10001 })),
  fc.constantFrom<unknown>({ name: '' }, { name: 't', command: [] }, 'test', null).map((v) => at('tests[0]', 'bad test', v)),
  fc.oneof(unknownKey.filter((k) => k.trim() !== ''), protoKey).chain((k) => junkValue.map((v) => at(k, 'unknown field', v, `"${k}"`))),
);

describe('customization corpus', () => {
  const dir = () => path.join(tmp, 'customizations');
  const file = () => path.join(dir(), 'app.yaml');
  beforeAll(() => {
    // Sources come from the customization's own directory, customizations/app/.
    fs.mkdirSync(path.join(tmp, 'customizations', 'app', 'files'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'customizations', 'app', 'files', 'data.txt'), 'data\n');
    fs.writeFileSync(path.join(tmp, 'outside.txt'), 'a host file the customization must not read\n');
    // A symlink inside the directory that points out of it: the source check must follow it and refuse.
    fs.symlinkSync(path.join(tmp, 'outside.txt'), path.join(tmp, 'customizations', 'app', 'escape.txt'));
  });

  mutationCorpus('customization', validCustomization, customizationMutation, readCustomization, (f) => readCustomization(f).customization.name, 'app', file);

  it('customizationFile refuses names that climb out of the customizations directory', () => {
    fs.writeFileSync(path.join(tmp, 'evil.yaml'), yamlOf({ ...fc.sample(validCustomization, { numRuns: 1, seed: 1 })[0], name: 'evil' }));
    for (const name of ['../evil', 'files/../../evil', path.join(tmp, 'evil')]) {
      let err: unknown;
      try {
        customizationFile(dir(), name);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).problems[0]?.field).toBe('name');
    }
  });

  textCorpus('customizations', readCustomization, '../../domain/customization/load', () => path.join(tmp, 'customizations'), 'app.yaml');
});
