import { RelationSyntaxError, formatRelation, parseRelations } from './relations';

describe('parseRelations', () => {
  it('reads an AND of OR-alternatives with versions and arch qualifiers', () => {
    expect(parseRelations('libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, python3:any')).toEqual([
      [{ name: 'libc6', relation: '>=', version: '2.34' }],
      [{ name: 'debconf', relation: '>=', version: '0.5' }, { name: 'debconf-2.0' }],
      [{ name: 'python3', archQualifier: 'any' }],
    ]);
  });

  it('reads every operator, with or without blanks, and epochs', () => {
    expect(parseRelations('a (<< 1), b (<=1), c(= 1:2.0-1), d ( >= 2 ), e (>> 3~rc1)').flat()).toEqual([
      { name: 'a', relation: '<<', version: '1' },
      { name: 'b', relation: '<=', version: '1' },
      { name: 'c', relation: '=', version: '1:2.0-1' },
      { name: 'd', relation: '>=', version: '2' },
      { name: 'e', relation: '>>', version: '3~rc1' },
    ]);
  });

  it('reads the obsolete < and > as dpkg does: <= and >=', () => {
    expect(parseRelations('a (< 1), b (> 2)').flat()).toEqual([
      { name: 'a', relation: '<=', version: '1' },
      { name: 'b', relation: '>=', version: '2' },
    ]);
  });

  it('reads folded fields (continuation lines from a control file)', () => {
    expect(parseRelations('libgcc-s1,\n libc-bin (= 2.36-9+deb12u14)')).toEqual([
      [{ name: 'libgcc-s1' }],
      [{ name: 'libc-bin', relation: '=', version: '2.36-9+deb12u14' }],
    ]);
  });

  it('reads an empty field as no relations', () => {
    expect(parseRelations('')).toEqual([]);
    expect(parseRelations(' \n ')).toEqual([]);
  });

  describe('architecture restrictions, evaluated for amd64', () => {
    it.each([
      ['[amd64]', true],
      ['[amd64 i386]', true],
      ['[i386 arm64]', false],
      ['[!i386]', true],
      ['[!amd64]', false],
      ['[!i386 !amd64]', false],
      ['[linux-any]', true],
      ['[any-amd64]', true],
      ['[gnu-linux-amd64]', true],
      ['[any]', true],
      ['[kfreebsd-any]', false],
      ['[any-i386]', false],
      ['[musl-linux-amd64]', false],
    ])('%s keeps the alternative: %s', (restriction, kept) => {
      expect(parseRelations(`foo ${restriction} | bar`)[0]?.map((r) => r.name)).toEqual(kept ? ['foo', 'bar'] : ['bar']);
    });

    it('drops a group whose every alternative is restricted away', () => {
      expect(parseRelations('foo [i386], bar (>= 1) [amd64]')).toEqual([[{ name: 'bar', relation: '>=', version: '1' }]]);
    });
  });

  describe('build profiles, evaluated with none active', () => {
    it.each([
      ['<!nocheck>', true],
      ['<stage1>', false],
      ['<!stage1 !nocheck>', true],
      ['<stage1 !nocheck>', false],
      ['<stage1> <!cross>', true],
    ])('%s keeps the alternative: %s', (profiles, kept) => {
      expect(parseRelations(`foo [amd64] ${profiles}, bar`)).toHaveLength(kept ? 2 : 1);
    });
  });

  it.each([
    ['a trailing comma', 'a, b,', 'empty entry between commas'],
    ['an empty alternative', 'a | | b', 'empty alternative'],
    ['a missing closing parenthesis', 'a (>= 1', 'cannot read "a (>= 1"'],
    ['an unknown operator', 'a (~= 1)', 'cannot read "a (~= 1)"'],
    ['a version with no operator', 'a (1.0)', 'cannot read "a (1.0)"'],
    ['an invalid version', 'a (>= x1)', 'version number does not start with digit'],
    ['an upper-case name', 'Foo', 'cannot read "Foo"'],
    ['a mixed arch list', 'a [amd64 !i386]', 'mixes negated and plain entries'],
    ['an empty arch list', 'a []', 'empty architecture list'],
    ['an empty profile', 'a <>', 'empty build profile list'],
  ])('refuses %s, naming the field text', (_what, text, problem) => {
    expect(() => parseRelations(text)).toThrow(RelationSyntaxError);
    expect(() => parseRelations(text)).toThrow(`malformed relationship field "${text}": `);
    expect(() => parseRelations(text)).toThrow(problem);
  });
});

describe('formatRelation', () => {
  it('writes a relation as it appears in a field', () => {
    expect(formatRelation({ name: 'libfoo', archQualifier: 'any', relation: '>=', version: '2' })).toBe('libfoo:any (>= 2)');
    expect(formatRelation({ name: 'libfoo' })).toBe('libfoo');
  });

  it('round-trips through parseRelations', () => {
    const text = 'a:any (>= 1:2.0-1~deb12u1), b (<< 3)';
    const formatted = parseRelations(text)
      .map((group) => group.map(formatRelation).join(' | '))
      .join(', ');
    expect(formatted).toBe(text);
  });
});
