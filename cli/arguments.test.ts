import * as os from 'node:os';
import * as path from 'node:path';
import { CliError, ExitCode } from './output';
import { parseImageReference } from './commands/verify';
import { digestArgument, fileArgument, imageArgument, minutesOption, reasonText, requester, resolveDigest } from './arguments';

const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(ExitCode.usage);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

const D1 = `sha256:${'a1'.repeat(32)}`;
const D2 = `sha256:${'a1b2'.repeat(16)}`;
const D3 = `sha256:${'c3'.repeat(32)}`;

describe('imageArgument', () => {
  test.each([
    ['base', { kind: 'catalog', name: 'base', release: 'trixie', variant: 'runtime' }],
    ['base:dev', { kind: 'catalog', name: 'base', release: 'trixie', variant: 'dev' }],
    ['base:latest-dev', { kind: 'catalog', name: 'base', release: 'trixie', variant: 'dev' }],
    ['python:bookworm', { kind: 'catalog', name: 'python', release: 'bookworm', variant: 'runtime' }],
    ['python:bookworm-dev', { kind: 'catalog', name: 'python', release: 'bookworm', variant: 'dev' }],
    ['image:nginx:bookworm:runtime', { kind: 'catalog', name: 'nginx', release: 'bookworm', variant: 'runtime' }],
    ['custom:python-app', { kind: 'custom', name: 'python-app' }],
  ])('%s', (text, image) => expect(imageArgument(text)).toEqual(image));

  test.each(['', 'Base', 'base:prod', 'base:sid-dev', 'image:base', 'image:base:runtime', 'image:base:sid:dev', 'custom:a:b', 'a:b:c:d', 'x'.repeat(64)])('refuses %j with the accepted forms', (text) => {
    expect(usage(() => imageArgument(text))).toMatch(/use NAME \(the newest release, runtime\), NAME:TAG \(trixie, bookworm-dev, latest, latest-dev\), NAME:VARIANT, image:NAME:RELEASE:VARIANT or custom:NAME/);
  });
});

describe('requester and reason', () => {
  test('--by wins; the login name otherwise', () => {
    expect(requester('alice')).toBe('alice');
    expect(requester(undefined).length).toBeGreaterThan(0);
    usage(() => requester('  '));
  });
  test('a reason is required, one line, bounded', () => {
    expect(reasonText('  registry migration ')).toBe('registry migration');
    expect(usage(() => reasonText(''))).toMatch(/--reason: say why/);
    usage(() => reasonText('two\nlines'));
    usage(() => reasonText('x'.repeat(501)));
  });
  test('timeouts are positive minutes', () => {
    expect(minutesOption('1.5')).toBe(1.5);
    usage(() => minutesOption('0'));
    usage(() => minutesOption('soon'));
  });
});

describe('digest arguments', () => {
  const resolve = (text: string, candidates: string[]) => resolveDigest(digestArgument(text), candidates);
  test('a full digest passes as is, published or not (the workflow decides)', () => {
    expect(resolve(D3, [D1])).toBe(D3);
  });
  test('a short digest names exactly one published digest', () => {
    expect(resolve('c3c3c3c3c3c3', [D1, D3])).toBe(D3);
    expect(resolve('sha256:c3c3c3c', [D1, D3])).toBe(D3);
    expect(resolve('a1b2a1b', [D1, D2, D2])).toBe(D2);
  });
  test('too short or not hex is refused before anything is asked', () => {
    expect(usage(() => digestArgument('a1'))).toMatch(/not a digest/);
    expect(usage(() => digestArgument('latest'))).toMatch(/not a digest/);
    expect(usage(() => digestArgument(`${D1}0`))).toMatch(/not a digest/);
  });
  test('unknown or ambiguous short digests are bad input', () => {
    expect(usage(() => resolve('ffffff0', [D1, D2]))).toMatch(/no digest this image published starts with ffffff0/);
    expect(usage(() => resolve('a1a1a1a1', [D1, `sha256:${'a1'.repeat(31)}ff`]))).toMatch(/ambiguous/);
  });
});

describe('file arguments', () => {
  test('a missing or unreadable file is bad input naming it', () => {
    const missing = path.join(os.tmpdir(), 'tempered-no-such-file.json');
    expect(usage(() => fileArgument(missing))).toBe(`${missing}: not found`);
    expect(usage(() => fileArgument(os.tmpdir()))).toBe(`${os.tmpdir()}: cannot read (EISDIR)`);
  });
});

describe('registry image references', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  test.each([
    ['127.0.0.1:5000/tempered/base:bookworm', { host: '127.0.0.1:5000', repository: 'tempered/base', reference: 'bookworm' }],
    [`registry.example/a/b-c__d.e@${digest}`, { host: 'registry.example', repository: 'a/b-c__d.e', reference: digest }],
  ])('%s', (text, parsed) => expect(parseImageReference(text)).toEqual(parsed));

  // The repository once took in `@sha256`, reading the first three as tag `abc`, `AAA...` and `aaa...`.
  test.each(['host/repo@sha256:abc', `host/repo@sha256:${'A'.repeat(64)}`, `host/repo@md5:${'a'.repeat(32)}`, 'host/Repo:tag', 'user@host/repo:tag', 'host/repo', '/repo:tag'])(
    'refuses %j, quoting it',
    (text) => expect(usage(() => parseImageReference(text))).toMatch(`"${text}" is not an image reference`),
  );
});
