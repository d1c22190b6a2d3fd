import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { looksLikeOsv } from './osv';
import { looksLikeTracker, normalizeTracker } from './tracker';

const fixtures = join(__dirname, '../../test/fixtures/advisories');
const readFixture = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));

describe('normalizeTracker on a bookworm excerpt', () => {
  const feed = normalizeTracker(readFixture('tracker-bookworm.json'), 'tracker.json');
  const byId = (id: string) => feed.records.find((record) => record.id === id);

  it('reads every bookworm issue without problems', () => {
    expect(feed.problems).toEqual([]);
    expect(feed.records).toHaveLength(11);
    expect(feed.records.every((record) => record.origin === 'debian-tracker')).toBe(true);
  });

  it('resolved with a version is fixed in that version', () => {
    expect(byId('CVE-2023-4911')).toEqual({
      id: 'CVE-2023-4911',
      aliases: [],
      source: 'glibc',
      fixedVersion: '2.36-9+deb12u3',
      status: 'fixed',
      severity: 'high',
      origin: 'debian-tracker',
      release: 'bookworm',
    });
    expect(byId('CVE-2022-37434')).toMatchObject({ source: 'zlib', fixedVersion: '1:1.2.11.dfsg-4.1', status: 'fixed' });
  });

  it('resolved with version "0" is not affected, with no version', () => {
    expect(byId('CVE-2023-45853')).toMatchObject({ source: 'zlib', status: 'not-affected', fixedVersion: null });
  });

  it('open is no-fix, with the reason the tracker gives', () => {
    expect(byId('CVE-2010-4756')).toMatchObject({ status: 'no-fix', fixedVersion: null, reason: 'ignored', severity: 'low' });
    expect(byId('CVE-2025-4802')).toMatchObject({
      status: 'no-fix',
      reason: 'postponed: Minor issue, only affects static setuid binaries',
      severity: 'medium',
    });
    expect(byId('CVE-2023-28322')).toMatchObject({ source: 'curl', status: 'no-fix', reason: 'no-dsa: Minor issue', severity: 'low' });
    expect(byId('CVE-2024-41996')).toMatchObject({ source: 'openssl', status: 'no-fix', reason: 'unfixed' });
  });

  it('undetermined stays undetermined, TEMP ids included', () => {
    expect(byId('TEMP-0000000-3A84A1')).toMatchObject({ source: 'openssl', status: 'undetermined', fixedVersion: null, severity: 'unknown' });
  });

  it('strips the tracker\'s review stars from urgencies', () => {
    expect(byId('CVE-2024-2511')).toMatchObject({ severity: 'low', status: 'fixed', fixedVersion: '3.0.14-1~deb12u1' });
  });

  it('skips issues for packages that are in none of the releases tempered builds', () => {
    expect(feed.skipped).toEqual([{ where: 'tracker.json#gcc-10/CVE-2023-4039', reason: 'other-release', detail: 'no trixie or bookworm release' }]);
  });

  it('reads bullseye and sid entries of a bookworm issue as nothing at all', () => {
    expect(feed.records.filter((record) => record.id === 'CVE-2023-5363').map((record) => record.release)).toEqual(['bookworm']);
  });
});

describe('normalizeTracker on issues in both releases', () => {
  const feed = normalizeTracker(readFixture('tracker-two-releases.json'), 'tracker.json');
  const of = (id: string) => feed.records.filter((record) => record.id === id).map((r) => `${r.release} ${r.status} ${r.fixedVersion ?? '-'} ${r.severity}`);

  it('gives each release its own record: trixie resolved and bookworm open are a fixed and a waiting record', () => {
    expect(feed.records.filter((record) => record.id === 'CVE-2099-1300')).toEqual([
      { id: 'CVE-2099-1300', aliases: [], source: 'openssl', fixedVersion: '3.5.1-1+deb13u1', status: 'fixed', severity: 'high', origin: 'debian-tracker', release: 'trixie' },
      {
        id: 'CVE-2099-1300',
        aliases: [],
        source: 'openssl',
        fixedVersion: null,
        status: 'no-fix',
        reason: 'postponed: Minor issue',
        severity: 'medium',
        origin: 'debian-tracker',
        release: 'bookworm',
      },
    ]);
  });

  it('keeps each release\'s fixed version, and its own never-affected or undetermined answer', () => {
    expect(of('CVE-2099-1301')).toEqual(['trixie fixed 3.5.1-1+deb13u1 low', 'bookworm fixed 3.0.17-1~deb12u2 low']);
    expect(of('CVE-2099-1302')).toEqual(['trixie undetermined - unknown', 'bookworm not-affected - unknown']);
  });

  it('reads a package that is only in trixie as a trixie record, and skips one in neither release', () => {
    expect(of('CVE-2099-1304')).toEqual(['trixie fixed 1.6.0-1+deb13u1 medium']);
    expect(feed.skipped).toEqual([{ where: 'tracker.json#python2.7/CVE-2099-1305', reason: 'other-release', detail: 'no trixie or bookworm release' }]);
  });

  it('reports a malformed release entry by its release, keeping the other release\'s record', () => {
    expect(of('CVE-2099-1303')).toEqual(['bookworm fixed 2.36-9+deb12u9 high']);
    expect(feed.problems).toEqual([{ where: 'tracker.json#glibc/CVE-2099-1303', problem: 'releases.trixie.fixed_version: is required when status is "resolved"' }]);
  });

  it('reads only the releases asked for', () => {
    const bookworm = normalizeTracker(readFixture('tracker-two-releases.json'), 'tracker.json', { releases: ['bookworm'] });
    expect(new Set(bookworm.records.map((record) => record.release))).toEqual(new Set(['bookworm']));
    expect(bookworm.skipped.map((skip) => `${skip.where} ${skip.detail}`)).toEqual([
      'tracker.json#rust-hyper/CVE-2099-1304 no bookworm release',
      'tracker.json#python2.7/CVE-2099-1305 no bookworm release',
    ]);
  });
});

describe('normalizeTracker on malformed entries', () => {
  const feed = normalizeTracker(readFixture('tracker-malformed.json'), 'broken.json');

  it('keeps the good entry', () => {
    expect(feed.records.map((record) => `${record.id}/${record.source}@${record.fixedVersion}`)).toEqual(['CVE-2024-0727/openssl@3.0.13-1~deb12u1']);
  });

  it('reports each bad entry with its place and problem', () => {
    expect(feed.problems).toEqual([
      { where: 'broken.json#openssl/CVE-2023-5678', problem: 'fixedVersion: invalid Debian version "3.0.13 beta": contains whitespace' },
      { where: 'broken.json#glibc/CVE-2024-2961', problem: expect.stringMatching(/^releases\.bookworm\.status: Invalid option: expected one of "resolved"\|"open"\|"undetermined"$/) },
      { where: 'broken.json#glibc/CVE-2024-33599', problem: 'releases.bookworm.fixed_version: is required when status is "resolved"' },
      { where: 'broken.json#glibc/CVE-2024-33600', problem: 'releases: is required' },
      { where: 'broken.json#Zlib_Fork/CVE-2022-37434', problem: expect.stringMatching(/^source: invalid Debian source package name "Zlib_Fork"/) },
      { where: 'broken.json#curl/not-a-cve', problem: 'id: "not-a-cve" is not a CVE-, DSA-, DLA-, GHSA- or TEMP- id' },
      { where: 'broken.json#nghttp2', problem: 'nghttp2: expected an object of issues' },
    ]);
  });

  it('reports a document that is not an object', () => {
    expect(normalizeTracker([], 'list.json').problems).toEqual([{ where: 'list.json', problem: '(record): expected an object of source packages' }]);
  });
});

describe('looksLikeTracker', () => {
  it('tells the tracker format from OSV', () => {
    expect(looksLikeTracker(readFixture('tracker-bookworm.json'))).toBe(true);
    expect(looksLikeTracker(readFixture('osv/DSA-5532-1.json'))).toBe(false);
    expect(looksLikeOsv(readFixture('tracker-bookworm.json'))).toBe(false);
  });
});

describe('normalizeTracker field bounds', () => {
  it('skips an issue whose fixed version is longer than a version can be, naming the field', () => {
    const feed = normalizeTracker({ openssl: { 'CVE-2099-2000': { releases: { bookworm: { status: 'resolved', fixed_version: `1${' '.repeat(60_000)}1` } } } } }, 'tracker.json');
    expect(feed.records).toEqual([]);
    expect(feed.problems).toEqual([{ where: 'tracker.json#openssl/CVE-2099-2000', problem: 'releases.bookworm.fixed_version: is 60002 characters long; at most 128 are allowed' }]);
  });
});
