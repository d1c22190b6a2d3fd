import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlSyntaxError, PgpArmorError, field, formatStanza, parseStanzas, scanStanzas, stripPgpSignature } from './control';

const PACKAGES = `Package: libc6
Version: 2.36-9+deb12u14
Depends: libgcc-s1,
 libc-bin (= 2.36-9+deb12u14)
Description: GNU C Library: Shared libraries
 Contains the standard libraries.
 .
 Second paragraph.

Package: base-files
Essential: yes
Version: 12.4+deb12u15
`;

describe('parseStanzas', () => {
  it('splits stanzas and keeps field names as written', () => {
    const [libc6, baseFiles] = parseStanzas(PACKAGES);
    expect(Object.keys(libc6 ?? {})).toEqual(['Package', 'Version', 'Depends', 'Description']);
    expect(baseFiles).toEqual({ Package: 'base-files', Essential: 'yes', Version: '12.4+deb12u15' });
  });

  it('joins continuation lines with "\\n", keeping their leading blank', () => {
    const [libc6] = parseStanzas(PACKAGES);
    expect(libc6?.Depends).toBe('libgcc-s1,\n libc-bin (= 2.36-9+deb12u14)');
    expect(libc6?.Description).toBe('GNU C Library: Shared libraries\n Contains the standard libraries.\n .\n Second paragraph.');
  });

  it('keeps an empty first line, as in Release checksum lists', () => {
    const [release] = parseStanzas('SHA256:\n abc 12 main/Packages\n\tdef 34 main/Packages.xz\n');
    expect(release?.SHA256).toBe('\n abc 12 main/Packages\n\tdef 34 main/Packages.xz');
  });

  it('treats blank-only lines as separators, tolerates several and a missing final newline', () => {
    expect(parseStanzas('\n\nA: 1\n \t\n\n\nB: 2')).toEqual([{ A: '1' }, { B: '2' }]);
    expect(parseStanzas('')).toEqual([]);
    expect(parseStanzas('\n \n')).toEqual([]);
  });

  it('trims blanks around a first-line value and at the end of continuation lines', () => {
    expect(parseStanzas('A:\t x y  \nB:v \n  w \t\n')).toEqual([{ A: 'x y', B: 'v\n  w' }]);
  });

  it('keeps a field called __proto__ as a plain field', () => {
    const [stanza] = parseStanzas('__proto__: x\n');
    expect(field(stanza ?? {}, '__proto__')).toBe('x');
    expect(Object.keys(stanza ?? {})).toEqual(['__proto__']);
  });

  it.each([
    ['a line without a colon', 'Package: a\nnot a field\n', 'line 2: expected "Field: value", got "not a field"'],
    ['an empty field name', ': x\n', 'line 1: expected "Field: value"'],
    ['a field name with a space', 'Bad Name: x\n', 'line 1: expected "Field: value"'],
    ['a comment', '# comment\nA: b\n', 'line 1: expected "Field: value"'],
    ['a continuation with no field', ' x\n', 'line 1: continuation line outside a field'],
    ['a duplicate field', 'A: 1\na: 2\nA: 3\n', 'line 3: duplicate field A'],
    ['signed text', '-----BEGIN PGP SIGNED MESSAGE-----\n', 'use stripPgpSignature first'],
  ])('refuses %s, naming the line', (_what, text, message) => {
    expect(() => parseStanzas(text)).toThrow(ControlSyntaxError);
    expect(() => parseStanzas(text)).toThrow(message);
  });
});

describe('scanStanzas', () => {
  it('shows each field in order, with the value parseStanzas keeps, and the end of each stanza', () => {
    const seen: string[] = [];
    scanStanzas(PACKAGES, {
      field: (scanned) => seen.push(scanned.name === 'Depends' ? `${scanned.name}@${scanned.line()}=${scanned.value()}` : scanned.name),
      endStanza: () => seen.push('--'),
    });
    expect(seen).toEqual(['Package', 'Version', 'Depends@3=libgcc-s1,\n libc-bin (= 2.36-9+deb12u14)', 'Description', '--', 'Package', 'Essential', 'Version', '--']);
  });
});

describe('field', () => {
  const stanza = { Package: 'x', SHA256: 'abc', 'Multi-Arch': 'same' };

  it('finds a field whatever its case', () => {
    expect(field(stanza, 'Package')).toBe('x');
    expect(field(stanza, 'sha256')).toBe('abc');
    expect(field(stanza, 'MULTI-ARCH')).toBe('same');
  });

  it('returns undefined for a missing field', () => {
    expect(field(stanza, 'Depends')).toBeUndefined();
  });
});

describe('formatStanza', () => {
  it('writes back exactly what parseStanzas read', () => {
    const text = parseStanzas(PACKAGES)
      .map((stanza) => formatStanza(Object.entries(stanza)))
      .join('\n');
    expect(text).toBe(PACKAGES);
  });

  it('writes "Field:" with no space when the value starts on the next line', () => {
    expect(formatStanza([['SHA256', '\n abc 12 x']])).toBe('SHA256:\n abc 12 x\n');
    expect(formatStanza([['Empty', '']])).toBe('Empty:\n');
  });

  it.each([
    ['a newline that would start a new field', 'x\nInjected: y'],
    ['an empty line that would start a new stanza', 'x\n\nPackage: evil'],
    ['a blank-only continuation line', 'x\n  '],
    ['leading blanks on the first line', ' x'],
    ['trailing blanks on a continuation line', 'x\n y '],
  ])('refuses %s', (_what, value) => {
    expect(() => formatStanza([['Description', value]])).toThrow(ControlSyntaxError);
  });

  it('refuses an invalid field name', () => {
    expect(() => formatStanza([['Bad: name', 'x']])).toThrow('"Bad: name" is not a valid field name');
    expect(() => formatStanza([['-Option', 'x']])).toThrow(ControlSyntaxError);
  });
});

describe('stripPgpSignature', () => {
  const signed = (body: string, after = ''): string =>
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${body}\n-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----\n${after}`;

  it('returns the signed text with its final newline and undoes dash-escaping', () => {
    expect(stripPgpSignature(signed('Origin: Debian\n- -----not armor\nSuite: x'))).toBe('Origin: Debian\n-----not armor\nSuite: x\n');
  });

  it('accepts blank lines around the message', () => {
    expect(stripPgpSignature(`\n${signed('A: b', '\n\n')}`)).toBe('A: b\n');
  });

  it.each([
    ['unsigned text', 'Origin: Debian\n', 'does not start with'],
    ['text before the signed message', `Origin: evil\n${signed('A: b')}`, 'does not start with'],
    ['text after the signature', signed('A: b', 'Origin: evil\n'), 'is not signed'],
    ['a second signed message', signed('A: b', signed('B: c')), 'is not signed'],
    ['no signature', '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n', 'no "-----BEGIN PGP SIGNATURE-----" line'],
    ['an unterminated signature', '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n-----BEGIN PGP SIGNATURE-----\nxx\n', 'no "-----END PGP SIGNATURE-----"'],
    ['a bad armor header', '-----BEGIN PGP SIGNED MESSAGE-----\nHash SHA256\n\n-----BEGIN PGP SIGNATURE-----\n', 'bad armor header'],
    ['an unescaped dash line', signed('A: b\n-----END PGP SIGNATURE-----\nC: d'), 'line 5: unexpected'],
  ])('refuses %s', (_what, text, message) => {
    expect(() => stripPgpSignature(text)).toThrow(PgpArmorError);
    expect(() => stripPgpSignature(text)).toThrow(message);
  });
});

// The machine's own InRelease files, checked against gpgv: real armor, real signature blocks.
const APT_LISTS = '/var/lib/apt/lists';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const inReleaseFiles = existsSync(APT_LISTS) ? readdirSync(APT_LISTS).filter((name) => name.endsWith('_InRelease')) : [];
const canRunGpgv = inReleaseFiles.length > 0 && existsSync(KEYRING) && spawnSync('gpgv', ['--version']).status === 0;
const describeWithInRelease = canRunGpgv ? describe : describe.skip;

describeWithInRelease(`real InRelease files in ${APT_LISTS} (skipped without them, gpgv or the Debian keyring)`, () => {
  it.each(inReleaseFiles)('%s: same body as gpgv --output, and it round-trips', (name) => {
    const path = join(APT_LISTS, name);
    const gpgv = spawnSync('gpgv', ['--keyring', KEYRING, '--output', '-', path], { encoding: 'utf8' });
    expect(gpgv.status).toBe(0);

    const body = stripPgpSignature(readFileSync(path, 'utf8'));
    expect(body).toBe(gpgv.stdout);

    const [release, ...rest] = parseStanzas(body);
    expect(rest).toEqual([]);
    expect(field(release ?? {}, 'sha256')).toMatch(/^ [0-9a-f]{64} +[0-9]+ main\/binary-amd64\/Packages$/m);
    expect(formatStanza(Object.entries(release ?? {}))).toBe(body);
  });
});
