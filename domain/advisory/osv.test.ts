import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cvssV3BaseScore, looksLikeOsv, normalizeOsvDocument, normalizeOsvRecord, severityFromCvssV3 } from './osv';

const fixtures = join(__dirname, '../../test/fixtures/advisories');
const readFixture = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));

/** A minimal Debian:12 OSV record for openssl with the given range events. */
function osvWithEvents(events: Record<string, string>[], extra: Record<string, unknown> = {}) {
  return {
    id: 'DSA-5532-1',
    modified: '2023-10-25T05:21:52Z',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events }] }],
    ...extra,
  };
}

describe('normalizeOsvRecord', () => {
  it('reads a Debian DSA as one fixed record for the source package', () => {
    expect(normalizeOsvRecord(readFixture('osv/DSA-5532-1.json'), 'DSA-5532-1.json')).toEqual({
      records: [
        {
          id: 'DSA-5532-1',
          aliases: ['CVE-2023-5363'],
          source: 'openssl',
          fixedVersion: '3.0.11-1~deb12u2',
          status: 'fixed',
          severity: 'unknown',
          published: '2023-10-24T00:00:00Z',
          origin: 'osv',
          release: 'bookworm',
        },
      ],
      problems: [],
      skipped: [],
    });
  });

  it('keeps the releases tempered builds and reports the other releases as skipped', () => {
    const feed = normalizeOsvRecord(readFixture('osv/DSA-5514-1.json'), 'DSA-5514-1.json');
    expect(feed.records.map((r) => [r.source, r.fixedVersion, r.release])).toEqual([['glibc', '2.36-9+deb12u3', 'bookworm']]);
    expect(feed.skipped).toEqual([
      { where: 'DSA-5514-1.json#DSA-5514-1 affected[1]', reason: 'other-release', detail: 'ecosystem "Debian:11"' },
    ]);
  });

  it('gives Debian:12 and Debian:13 in one record one advisory each, with its own fixed version and severity', () => {
    const feed = normalizeOsvRecord(readFixture('osv-two-releases.json'), 'two.json');
    expect(feed.problems).toEqual([]);
    expect(feed.records).toEqual([
      {
        id: 'CVE-2099-1300',
        aliases: ['DEBIAN-CVE-2099-1300'],
        source: 'openssl',
        fixedVersion: '3.0.17-1~deb12u2',
        status: 'fixed',
        severity: 'medium',
        published: '2099-02-27T09:15:00Z',
        origin: 'osv',
        release: 'bookworm',
      },
      {
        id: 'CVE-2099-1300',
        aliases: ['DEBIAN-CVE-2099-1300'],
        source: 'openssl',
        fixedVersion: '3.5.1-1+deb13u1',
        status: 'fixed',
        severity: 'high',
        published: '2099-02-27T09:15:00Z',
        origin: 'osv',
        release: 'trixie',
      },
    ]);
  });

  it('skips Debian:11 and plain "Debian" (unstable: no image is ever offered its fix)', () => {
    const feed = normalizeOsvRecord(readFixture('osv-two-releases.json'), 'two.json');
    expect(feed.skipped).toEqual([
      { where: 'two.json#DEBIAN-CVE-2099-1300 affected[0]', reason: 'other-release', detail: 'ecosystem "Debian:11"' },
      { where: 'two.json#DEBIAN-CVE-2099-1300 affected[3]', reason: 'other-release', detail: 'ecosystem "Debian"' },
    ]);
  });

  it('reads only the releases asked for', () => {
    const feed = normalizeOsvRecord(readFixture('osv-two-releases.json'), 'two.json', { releases: ['trixie'] });
    expect(feed.records.map((r) => `${r.release} ${r.fixedVersion}`)).toEqual(['trixie 3.5.1-1+deb13u1']);
    expect(feed.skipped.map((s) => s.detail)).toEqual(['ecosystem "Debian:11"', 'ecosystem "Debian:12"', 'ecosystem "Debian"']);
  });

  it('judges each release on its own ranges: an open trixie entry does not open bookworm\'s fix', () => {
    const record = osvWithEvents([{ introduced: '0' }, { fixed: '3.0.17-1~deb12u2' }]);
    record.affected.push({ package: { ecosystem: 'Debian:13', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] });
    const feed = normalizeOsvRecord(record, 'x');
    expect(feed.records.map((r) => `${r.release} ${r.status} ${r.fixedVersion}`)).toEqual(['bookworm fixed 3.0.17-1~deb12u2', 'trixie no-fix null']);
  });

  it('reports a problem in one release\'s entry and keeps the other release\'s record', () => {
    const record = osvWithEvents([{ introduced: '0' }, { fixed: '3.0.17-1~deb12u2' }]);
    record.affected.push({ package: { ecosystem: 'Debian:13', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.5.1 beta' }] }] });
    const feed = normalizeOsvRecord(record, 'f.json');
    expect(feed.records.map((r) => r.release)).toEqual(['bookworm']);
    expect(feed.problems).toEqual([{ where: 'f.json#DSA-5532-1', problem: 'affected[1].ranges[0].events[1].fixed: invalid Debian version "3.5.1 beta": contains whitespace' }]);
  });

  it('does not read an ecosystem that merely starts like a release', () => {
    const record = osvWithEvents([{ introduced: '0' }, { fixed: '1.0-1' }]);
    record.affected[0]!.package.ecosystem = 'Debian:12.4';
    expect(normalizeOsvRecord(record, 'x')).toMatchObject({ records: [], skipped: [{ reason: 'other-release', detail: 'ecosystem "Debian:12.4"' }] });
  });

  it('turns DEBIAN-CVE ids into the CVE and an open range into no-fix, urgency into severity', () => {
    const [record] = normalizeOsvRecord(readFixture('osv/DEBIAN-CVE-2023-4039.json'), 'x').records;
    expect(record).toMatchObject({
      id: 'CVE-2023-4039',
      aliases: ['DEBIAN-CVE-2023-4039'],
      source: 'gcc-12',
      status: 'no-fix',
      fixedVersion: null,
      severity: 'low',
    });
  });

  it('skips records outside Debian entirely', () => {
    const feed = normalizeOsvRecord(readFixture('osv/GHSA-h5c8-rqwp-cp95.json'), 'ghsa.json');
    expect(feed.records).toEqual([]);
    expect(feed.skipped).toEqual([{ where: 'ghsa.json#GHSA-h5c8-rqwp-cp95 affected[0]', reason: 'other-release', detail: 'ecosystem "PyPI"' }]);
  });

  it('skips withdrawn records', () => {
    const feed = normalizeOsvRecord(osvWithEvents([{ introduced: '0' }, { fixed: '1.0-1' }], { withdrawn: '2024-01-01T00:00:00Z' }), 'w.json');
    expect(feed).toEqual({ records: [], problems: [], skipped: [{ where: 'w.json#DSA-5532-1', reason: 'withdrawn' }] });
  });

  it('reads events in version order, not document order', () => {
    const feed = normalizeOsvRecord(osvWithEvents([{ fixed: '3.0.11-1~deb12u2' }, { introduced: '0' }]), 'x');
    expect(feed.records[0]?.fixedVersion).toBe('3.0.11-1~deb12u2');
  });

  it('treats a range re-opened after its fix, or ending in last_affected, as unfixed', () => {
    const reopened = normalizeOsvRecord(osvWithEvents([{ introduced: '0' }, { fixed: '3.0.1-1' }, { introduced: '3.0.5-1' }]), 'x');
    expect(reopened.records[0]).toMatchObject({ status: 'no-fix', fixedVersion: null });
    const lastAffected = normalizeOsvRecord(osvWithEvents([{ introduced: '0' }, { last_affected: '3.0.5-1' }]), 'x');
    expect(lastAffected.records[0]).toMatchObject({ status: 'no-fix' });
  });

  it('takes the highest fix when several ranges name one (conservative)', () => {
    const record = osvWithEvents([{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }]);
    record.affected[0]?.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '3.0.12-1' }, { fixed: '3.0.13-1~deb12u1' }] });
    expect(normalizeOsvRecord(record, 'x').records[0]?.fixedVersion).toBe('3.0.13-1~deb12u1');
  });

  it('ignores GIT ranges and reports an entry without an ECOSYSTEM range', () => {
    const record = {
      id: 'DSA-5532-1',
      affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'GIT', repo: 'x', events: [{ introduced: 'abc' }] }] }],
    };
    expect(normalizeOsvRecord(record, 'f.json').problems).toEqual([
      { where: 'f.json#DSA-5532-1', problem: 'affected[0].ranges: no ECOSYSTEM range, so the fixed version is unknown' },
    ]);
  });

  it('names the event that carries a bad version', () => {
    const feed = normalizeOsvRecord(osvWithEvents([{ introduced: '0' }, { fixed: '3.0.11 beta' }]), 'f.json');
    expect(feed.problems).toEqual([
      {
        where: 'f.json#DSA-5532-1',
        problem: 'affected[0].ranges[0].events[1].fixed: invalid Debian version "3.0.11 beta": contains whitespace',
      },
    ]);
  });

  it('reports a bad source name through the record schema', () => {
    const record = osvWithEvents([{ introduced: '0' }, { fixed: '1.0-1' }]);
    record.affected[0]!.package.name = 'OpenSSL';
    expect(normalizeOsvRecord(record, 'f.json').problems[0]?.problem).toMatch(/^source: invalid Debian source package name "OpenSSL"/);
  });

  it('takes severity from database_specific, then CVSS v3 vectors', () => {
    const labelled = osvWithEvents([{ introduced: '0' }, { fixed: '1.0-1' }], { database_specific: { severity: 'HIGH' } });
    expect(normalizeOsvRecord(labelled, 'x').records[0]?.severity).toBe('high');
    const scored = osvWithEvents([{ introduced: '0' }, { fixed: '1.0-1' }], {
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    });
    expect(normalizeOsvRecord(scored, 'x').records[0]?.severity).toBe('critical');
  });

  it('drops an unreadable published date rather than the advisory', () => {
    const record = osvWithEvents([{ introduced: '0' }, { fixed: '1.0-1' }], { published: 'last tuesday' });
    const [advisory] = normalizeOsvRecord(record, 'x').records;
    expect(advisory).toBeDefined();
    expect(advisory).not.toHaveProperty('published');
  });
});

describe('normalizeOsvDocument', () => {
  it('reports malformed records one by one and keeps the good ones', () => {
    const feed = normalizeOsvDocument(readFixture('osv-batch-with-problems.json'), 'batch.json');
    expect(feed.records.map((r) => `${r.id}/${r.source}@${r.fixedVersion} ${r.severity}`)).toEqual(['DSA-5523-1/curl@7.88.1-10+deb12u4 critical']);
    expect(feed.problems).toEqual([
      { where: 'batch.json#DSA-5555-1', problem: expect.stringContaining('affected[0].ranges[0].events[1].fixed: invalid Debian version') },
      { where: 'batch.json#2', problem: 'id: is required; affected: Invalid input: expected array, received string' },
    ]);
    expect(feed.skipped).toEqual([{ where: 'batch.json#DSA-5600-1', reason: 'withdrawn' }]);
  });
});

describe('looksLikeOsv', () => {
  it('recognizes records and arrays of records, not tracker documents', () => {
    expect(looksLikeOsv(readFixture('osv/DSA-5532-1.json'))).toBe(true);
    expect(looksLikeOsv(readFixture('osv-batch-with-problems.json'))).toBe(true);
    expect(looksLikeOsv(readFixture('tracker-bookworm.json'))).toBe(false);
    expect(looksLikeOsv('DSA-5532-1')).toBe(false);
  });
});

describe('CVSS v3', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'critical'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10, 'critical'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5, 'high'],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5, 'medium'],
    ['CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1, 'low'],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4, 'medium'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0, 'low'],
  ] as const)('%s = %d (%s)', (vector, score, severity) => {
    expect(cvssV3BaseScore(vector)).toBe(score);
    expect(severityFromCvssV3(vector)).toBe(severity);
  });

  it('refuses vectors it cannot score', () => {
    expect(cvssV3BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBeUndefined();
    expect(cvssV3BaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P')).toBeUndefined();
    expect(cvssV3BaseScore('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBeUndefined();
  });
});

describe('field bounds before any parsing', () => {
  const record = (fixed: string) => ({
    id: 'CVE-2099-1000',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
  });
  it('skip a record whose version is longer than a version can be, naming the field', () => {
    const feed = normalizeOsvRecord(record(`1${' '.repeat(60_000)}1`), 'feed.json');
    expect(feed.records).toEqual([]);
    expect(feed.problems).toEqual([{ where: 'feed.json#CVE-2099-1000', problem: 'affected[0].ranges[0].events[1].fixed: is 60002 characters long; at most 128 are allowed' }]);
  });
  it('bound ids, aliases and package names too', () => {
    const feed = normalizeOsvRecord({ ...record('3.0.22-1'), aliases: Array.from({ length: 1001 }, (_, i) => `CVE-2099-${i}`), id: 'CVE-2099-1000' }, 'feed.json');
    expect(feed.problems[0]?.problem).toContain('aliases: at most 1000');
  });
});
