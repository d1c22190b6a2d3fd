import { isArchiveError } from './errors';
import { assertDescribesSuite, assertNotExpired, parseRelease } from './release';

const URL = 'http://deb.debian.org/debian-security/dists/bookworm-security/InRelease';

// The head of bookworm-security's Release, shortened.
const RELEASE = `Origin: Debian
Label: Debian-Security
Suite: oldstable-security
Codename: bookworm-security
Date: Wed, 25 Nov 2026 02:22:30 UTC
Valid-Until: Wed, 02 Dec 2026 02:22:30 UTC
Acquire-By-Hash: yes
Architectures: amd64 arm64
Components: updates/main updates/contrib
MD5Sum:
 0ed6d4c8891eb86358b94bb35d9e4da4  2532743 main/binary-amd64/Packages
SHA256:
 49a9e54c4ffc7bde7834f37042f551ce863c2630382396592602f432cdbf6f1c  2532743 main/binary-amd64/Packages
 a59b44d3150ec5621306ce98e42bcb14f95451fe82ca7e6b83d1da7454a1ea3d   379936 main/binary-amd64/Packages.xz
`;

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isArchiveError(error) ? error.code : `not an ArchiveError: ${String(error)}`;
  }
  return undefined;
}

describe('parseRelease', () => {
  it('reads dates, by-hash support and the SHA256 list (not MD5)', () => {
    const release = parseRelease(RELEASE, URL);
    expect(release).toMatchObject({
      origin: 'Debian',
      label: 'Debian-Security',
      suite: 'oldstable-security',
      codename: 'bookworm-security',
      date: new Date('2026-11-25T02:22:30Z'),
      validUntil: new Date('2026-12-02T02:22:30Z'),
      acquireByHash: true,
    });
    expect([...release.files]).toEqual([
      ['main/binary-amd64/Packages', { sha256: '49a9e54c4ffc7bde7834f37042f551ce863c2630382396592602f432cdbf6f1c', size: 2532743 }],
      ['main/binary-amd64/Packages.xz', { sha256: 'a59b44d3150ec5621306ce98e42bcb14f95451fe82ca7e6b83d1da7454a1ea3d', size: 379936 }],
    ]);
  });

  it('treats an unreadable Valid-Until as expired, never as "no expiry"', () => {
    expect(codeOf(() => parseRelease(RELEASE.replace(/^Valid-Until: .*$/m, 'Valid-Until: soon'), URL))).toBe('ARCHIVE_EXPIRED');
  });

  it('refuses a Release without checksums, a malformed checksum line, or malformed syntax', () => {
    expect(codeOf(() => parseRelease('Origin: Debian\nSuite: bookworm\n', URL))).toBe('ARCHIVE_MISSING_INDEX');
    expect(codeOf(() => parseRelease('SHA256:\n xyz 12 main/binary-amd64/Packages\n', URL))).toBe('ARCHIVE_MISSING_INDEX');
    expect(codeOf(() => parseRelease('not a field\n', URL))).toBe('ARCHIVE_MISSING_INDEX');
  });
});

describe('assertNotExpired', () => {
  const release = parseRelease(RELEASE, URL);

  it('accepts a Release up to its Valid-Until and one without Valid-Until', () => {
    expect(() => assertNotExpired(release, new Date('2026-12-02T02:22:30Z'), URL)).not.toThrow();
    expect(() => assertNotExpired(parseRelease(RELEASE.replace(/^Valid-Until: .*\n/m, ''), URL), new Date('2099-01-01'), URL)).not.toThrow();
  });

  it('refuses it afterwards, naming the URL and both times', () => {
    expect(() => assertNotExpired(release, new Date('2026-12-02T02:22:31Z'), URL)).toThrow(
      `ARCHIVE_EXPIRED: Release expired: Valid-Until 2026-12-02T02:22:30.000Z is before 2026-12-02T02:22:31.000Z (${URL})`,
    );
  });
});

describe('assertDescribesSuite', () => {
  const release = parseRelease(RELEASE, URL);

  it('accepts the codename or the suite name', () => {
    expect(() => assertDescribesSuite(release, 'bookworm-security', URL)).not.toThrow();
    expect(() => assertDescribesSuite(release, 'oldstable-security', URL)).not.toThrow();
  });

  it('refuses another suite’s validly signed Release', () => {
    expect(codeOf(() => assertDescribesSuite(release, 'bookworm', URL))).toBe('ARCHIVE_SUITE_MISMATCH');
  });
});
