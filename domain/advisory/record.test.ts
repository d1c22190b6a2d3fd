import {
  type Advisory,
  advisoryFromCli,
  advisoryKey,
  isAdvisoryId,
  isSourcePackageName,
  parseAdvisory,
  severityFromLabel,
  uniqueAliases,
} from './record';

const fixedOpenssl: Advisory = {
  id: 'CVE-2024-5535',
  aliases: ['DSA-5764-1'],
  source: 'openssl',
  fixedVersion: '3.0.14-1~deb12u1',
  status: 'fixed',
  severity: 'medium',
  published: '2024-06-27T11:15:24Z',
  origin: 'osv',
};

function problemOf(input: unknown): string {
  const parsed = parseAdvisory(input, 'feed.json#3');
  if (parsed.ok) throw new Error(`expected a problem, got ${JSON.stringify(parsed.value)}`);
  expect(parsed.problem.where).toBe('feed.json#3');
  return parsed.problem.problem;
}

describe('advisory ids', () => {
  it.each(['CVE-2024-5535', 'CVE-2021-3712345', 'DSA-5764-1', 'DSA-123-1', 'DLA-3682-1', 'GHSA-jfh8-c2jp-5v3q', 'TEMP-0000000-7B0E0A'])(
    'accepts %s',
    (id) => expect(isAdvisoryId(id)).toBe(true),
  );

  it.each(['CVE-24-5535', 'CVE-2024-123', 'cve-2024-5535', 'DSA-5764', 'GHSA-JFH8-C2JP-5V3Q', 'TEMP-123', 'USN-6000-1', ' CVE-2024-5535'])(
    'rejects %s',
    (id) => expect(isAdvisoryId(id)).toBe(false),
  );
});

describe('source package names', () => {
  it.each(['openssl', 'gcc-12', 'libstdc++', 'python3.11', 'g++-12', '7zip'])('accepts %s', (name) =>
    expect(isSourcePackageName(name)).toBe(true),
  );
  it.each(['OpenSSL', 'a', '-foo', 'lib_foo', 'foo bar', ''])('rejects %j', (name) => expect(isSourcePackageName(name)).toBe(false));
});

describe('parseAdvisory', () => {
  it('accepts a well-formed record unchanged', () => {
    expect(parseAdvisory(fixedOpenssl, 'x')).toEqual({ ok: true, value: fixedOpenssl });
  });

  it('names the field and dpkg problem for a bad version', () => {
    expect(problemOf({ ...fixedOpenssl, fixedVersion: '1.0 beta' })).toBe(
      'fixedVersion: invalid Debian version "1.0 beta": contains whitespace',
    );
    expect(problemOf({ ...fixedOpenssl, fixedVersion: 'v1.0' })).toBe(
      'fixedVersion: invalid Debian version "v1.0": version number does not start with digit',
    );
  });

  it('rejects versions with surrounding whitespace that dpkg would silently trim', () => {
    expect(problemOf({ ...fixedOpenssl, fixedVersion: ' 1.0-1' })).toMatch(/^fixedVersion: .*leading or trailing whitespace/);
  });

  it('ties fixedVersion to status', () => {
    expect(problemOf({ ...fixedOpenssl, fixedVersion: null })).toBe('fixedVersion: is required when status is "fixed"');
    expect(problemOf({ ...fixedOpenssl, status: 'not-affected' })).toBe('fixedVersion: must be null when status is "not-affected"');
    for (const status of ['not-affected', 'no-fix', 'undetermined'] as const) {
      expect(parseAdvisory({ ...fixedOpenssl, status, fixedVersion: null }, 'x').ok).toBe(true);
    }
  });

  it('names every bad field, with array indices', () => {
    const problem = problemOf({ ...fixedOpenssl, id: 'CVE-1', source: 'OpenSSL', aliases: ['ok', 'not ok'], severity: 'severe' });
    expect(problem).toContain('id: "CVE-1" is not a CVE-, DSA-, DLA-, GHSA- or TEMP- id');
    expect(problem).toContain('source: invalid Debian source package name "OpenSSL"');
    expect(problem).toContain('aliases[1]: must be a non-empty id without whitespace');
    expect(problem).toMatch(/severity: .*"critical"/);
  });

  it('says a missing field is required and rejects unknown fields', () => {
    const { origin: _origin, ...withoutOrigin } = fixedOpenssl;
    expect(problemOf(withoutOrigin)).toBe('origin: is required');
    expect(problemOf({ ...fixedOpenssl, fixed_version: '1' })).toMatch(/fixed_version/);
  });

  it('accepts ISO dates and date-times with offsets, rejects other dates', () => {
    for (const published of ['2024-06-27', '2024-06-27T11:15:24.123456Z', '2024-06-27T11:15:24+02:00']) {
      expect(parseAdvisory({ ...fixedOpenssl, published }, 'x').ok).toBe(true);
    }
    expect(problemOf({ ...fixedOpenssl, published: '27/06/2024' })).toBe('published: must be an ISO 8601 date or date-time');
  });

  it('reports a non-object as a whole-record problem', () => {
    expect(problemOf('CVE-2024-5535')).toMatch(/^\(record\): /);
  });
});

describe('advisoryFromCli', () => {
  it('is fixed when a version is given', () => {
    expect(advisoryFromCli({ id: 'CVE-2024-5535', source: 'openssl', fixedVersion: '3.0.14-1~deb12u1', aliases: ['DSA-5764-1', 'CVE-2024-5535'] })).toEqual({
      ok: true,
      value: {
        id: 'CVE-2024-5535',
        aliases: ['DSA-5764-1'],
        source: 'openssl',
        fixedVersion: '3.0.14-1~deb12u1',
        status: 'fixed',
        severity: 'unknown',
        origin: 'cli',
      },
    });
  });

  it('is no-fix without a version, keeping the reason', () => {
    const parsed = advisoryFromCli({ id: 'CVE-2023-4039', source: 'gcc-12', severity: 'low', reason: 'postponed' });
    expect(parsed.ok && parsed.value).toMatchObject({ status: 'no-fix', fixedVersion: null, severity: 'low', reason: 'postponed' });
  });

  it('names typos and bad values', () => {
    const typo = advisoryFromCli({ id: 'CVE-2024-5535', source: 'openssl', fixed: '1.0' });
    expect(!typo.ok && typo.problem).toEqual({ where: 'cli', problem: expect.stringMatching(/Unrecognized key.*"fixed"/) });
    const bad = advisoryFromCli({ id: 'CVE-2024-5535', source: 'openssl', fixedVersion: '1.0 beta' }, 'argv');
    expect(!bad.ok && bad.problem).toEqual({ where: 'argv', problem: 'fixedVersion: invalid Debian version "1.0 beta": contains whitespace' });
  });

  it('is about one release with --release, and about every release without it', () => {
    const trixie = advisoryFromCli({ id: 'CVE-2024-5535', source: 'openssl', fixedVersion: '3.5.1-1+deb13u1', release: ' trixie ' });
    expect(trixie.ok && trixie.value.release).toBe('trixie');
    const everywhere = advisoryFromCli({ id: 'CVE-2024-5535', source: 'openssl', fixedVersion: '3.5.1-1+deb13u1' });
    expect(everywhere.ok && everywhere.value).not.toHaveProperty('release');
  });

  it('names the release field when it is not one tempered builds', () => {
    const bad = advisoryFromCli({ id: 'CVE-2024-5535', source: 'openssl', release: 'bullseye' });
    expect(!bad.ok && bad.problem.problem).toBe('release: "bullseye" is not a Debian release tempered builds (trixie, bookworm)');
  });
});

describe('advisoryKey', () => {
  it('separates the same CVE in two source packages and an open advisory from a fixed one', () => {
    expect(advisoryKey(fixedOpenssl)).toBe('CVE-2024-5535/openssl@3.0.14-1~deb12u1');
    expect(advisoryKey({ ...fixedOpenssl, source: 'nodejs' })).toBe('CVE-2024-5535/nodejs@3.0.14-1~deb12u1');
    expect(advisoryKey({ ...fixedOpenssl, fixedVersion: null })).toBe('CVE-2024-5535/openssl@none');
  });

  it('keeps the key of a release-less record exactly as before (recorded histories replay on it)', () => {
    expect(advisoryKey({ ...fixedOpenssl, release: undefined })).toBe('CVE-2024-5535/openssl@3.0.14-1~deb12u1');
    expect(advisoryKey({ id: 'CVE-2024-5535', source: 'openssl', fixedVersion: null })).toBe('CVE-2024-5535/openssl@none');
  });

  it('ends the key with the release of a per-release record, so the two releases\' records never collide', () => {
    const bookworm = advisoryKey({ ...fixedOpenssl, release: 'bookworm' });
    const trixie = advisoryKey({ ...fixedOpenssl, fixedVersion: '3.5.1-1+deb13u1', release: 'trixie' });
    expect([bookworm, trixie]).toEqual(['CVE-2024-5535/openssl@3.0.14-1~deb12u1#bookworm', 'CVE-2024-5535/openssl@3.5.1-1+deb13u1#trixie']);
    expect(advisoryKey({ ...fixedOpenssl, fixedVersion: null, release: 'trixie' })).not.toBe(advisoryKey({ ...fixedOpenssl, fixedVersion: null, release: 'bookworm' }));
  });

  it('parses a record with a release and refuses one tempered does not build, naming the field', () => {
    expect(parseAdvisory({ ...fixedOpenssl, release: 'trixie' }, 'x').ok).toBe(true);
    expect(problemOf({ ...fixedOpenssl, release: 'sid' })).toBe('release: "sid" is not a Debian release tempered builds (trixie, bookworm)');
  });
});

describe('severityFromLabel', () => {
  it.each([
    ['unimportant', 'low'],
    ['low**', 'low'],
    ['medium*', 'medium'],
    ['HIGH', 'high'],
    ['MODERATE', 'medium'],
    ['Critical', 'critical'],
    ['not yet assigned', 'unknown'],
    ['end-of-life', 'unknown'],
    [undefined, 'unknown'],
  ] as const)('%s -> %s', (label, severity) => expect(severityFromLabel(label)).toBe(severity));
});

describe('uniqueAliases', () => {
  it('trims, de-duplicates, sorts and drops the id itself', () => {
    expect(uniqueAliases('CVE-1', [' DSA-2-1', 'CVE-1', 'DSA-2-1', '', 'CVE-0'])).toEqual(['CVE-0', 'DSA-2-1']);
  });
});
