import { InvalidVersionError, assertValidVersion, compareVersions, isValidVersion, maxVersion, parseVersion, satisfies } from './version';

describe('compareVersions', () => {
  it.each([
    ['1.0~rc1', '1.0', -1],
    ['1:0.1', '2.0', 1],
    ['3.0.15-1~deb12u1', '3.0.15-1', -1],
    ['1.0', '1.0-0', 0],
    ['1.01', '1.1', 0],
    ['1.0~~', '1.0~', -1],
    ['1.0a', '1.0+', -1],
    ['1.0', '1.0.0', -1],
    ['1.2-3-4', '1.2-3', 1],
  ])('%s vs %s', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });
});

describe('satisfies', () => {
  it.each([
    ['2.36-9+deb12u14', '>=', '2.34', true],
    ['2.36', '<<', '2.36', false],
    ['2.36', '<=', '2.36-0', true],
    ['1:0.1', '>>', '9.9', true],
    ['3.0.22-1~deb12u2', '=', '3.0.22-1~deb12u2', true],
    ['3.0.22-1~deb12u2', '=', '3.0.22-1', false],
  ] as const)('%s %s %s: %s', (version, relation, reference, expected) => {
    expect(satisfies(version, relation, reference)).toBe(expected);
  });
});

describe('maxVersion', () => {
  it('picks the highest in Debian order, not string order', () => {
    expect(maxVersion(['2.36-9+deb12u7', '2.36-9+deb12u14', '2.36-9+deb12u10'])).toBe('2.36-9+deb12u14');
    expect(maxVersion([])).toBeUndefined();
  });
});

describe('assertValidVersion and isValidVersion', () => {
  it('agree with parseVersion', () => {
    for (const text of ['1.0', '1:2.0-1~deb12u1', '9999999999:1', '1.0-', 'a1', '1:2:3-4-5', '']) {
      let parses = true;
      try {
        parseVersion(text);
      } catch {
        parses = false;
      }
      expect([text, isValidVersion(text)]).toEqual([text, parses]);
    }
    expect(() => assertValidVersion('1.0-')).toThrow(new InvalidVersionError('1.0-', 'revision number is empty'));
  });
});

describe('inputs far longer than any real version', () => {
  // A regex trim of blanks at the end was quadratic in a run of blanks: 500,000 of them took minutes.
  it('are parsed in linear time (within jest\'s 5 s default; quadratic took minutes)', () => {
    const blanks = `1${' '.repeat(500_000)}1`;
    expect(() => parseVersion(blanks)).toThrow('contains whitespace');
    expect(() => parseVersion(`${'\t'.repeat(500_000)}1.0${'\t'.repeat(500_000)}x`)).toThrow('contains whitespace');
    expect(parseVersion(`\t 1.0-1 \t`)).toEqual({ epoch: 0, upstream: '1.0', revision: '1' });
  });
});
