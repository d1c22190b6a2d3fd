/**
 * The fields of a (verified) Release file that decide whether to trust the
 * indexes it lists: when it was made, until when it is valid, and the
 * SHA256 and size of every index.
 */
import { ControlSyntaxError, field, parseStanzas, type Stanza } from '../../domain/debian/control';
import { ArchiveError } from './errors';
import type { Digest } from './files';

export interface ReleaseFile {
  origin?: string;
  label?: string;
  suite?: string;
  codename?: string;
  date?: Date;
  validUntil?: Date;
  /** `Acquire-By-Hash: yes`: indexes can also be fetched by content under `by-hash/SHA256/`. */
  acquireByHash: boolean;
  /** SHA256 list, keyed by path relative to `dists/<suite>/`, e.g. `main/binary-amd64/Packages.xz`. */
  files: ReadonlyMap<string, Digest>;
}

const optional = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

function parseDateField(value: string | undefined, name: string, url: string): Date | undefined {
  const text = optional(value);
  if (text === undefined) return undefined;
  const date = new Date(text);
  // An unreadable Valid-Until must not read as "no expiry".
  if (Number.isNaN(date.getTime())) throw new ArchiveError('ARCHIVE_EXPIRED', url, `unreadable ${name} "${text}"`);
  return date;
}

function parseChecksums(value: string | undefined, url: string): Map<string, Digest> {
  const files = new Map<string, Digest>();
  for (const line of (value ?? '').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 3) continue;
    const [sha256 = '', sizeText = '', path = ''] = parts;
    if (!/^[0-9a-f]{64}$/.test(sha256) || !/^[0-9]+$/.test(sizeText)) {
      throw new ArchiveError('ARCHIVE_MISSING_INDEX', url, `malformed SHA256 entry "${line.trim()}"`);
    }
    files.set(path, { sha256, size: Number(sizeText) });
  }
  return files;
}

/** Parses the signed text of an InRelease fetched from `url`. */
export function parseRelease(text: string, url: string): ReleaseFile {
  let stanza: Stanza | undefined;
  try {
    stanza = parseStanzas(text)[0];
  } catch (error) {
    if (error instanceof ControlSyntaxError) {
      throw new ArchiveError('ARCHIVE_MISSING_INDEX', url, `unreadable Release: ${error.message}`);
    }
    throw error;
  }
  if (stanza === undefined) throw new ArchiveError('ARCHIVE_MISSING_INDEX', url, 'Release file is empty');
  const files = parseChecksums(field(stanza, 'SHA256'), url);
  if (files.size === 0) throw new ArchiveError('ARCHIVE_MISSING_INDEX', url, 'Release file lists no SHA256 checksums');
  const release: ReleaseFile = {
    acquireByHash: optional(field(stanza, 'Acquire-By-Hash'))?.toLowerCase() === 'yes',
    files,
  };
  const strings = { origin: 'Origin', label: 'Label', suite: 'Suite', codename: 'Codename' } as const;
  for (const [key, name] of Object.entries(strings) as [keyof typeof strings, string][]) {
    const value = optional(field(stanza, name));
    if (value !== undefined) release[key] = value;
  }
  const date = parseDateField(field(stanza, 'Date'), 'Date', url);
  if (date) release.date = date;
  const validUntil = parseDateField(field(stanza, 'Valid-Until'), 'Valid-Until', url);
  if (validUntil) release.validUntil = validUntil;
  return release;
}

/**
 * Refuses a Release past its Valid-Until. Without this check a mirror (or an
 * attacker in front of it) could keep serving an old, validly signed
 * archive and hide every security fix published since.
 */
export function assertNotExpired(release: ReleaseFile, now: Date, url: string): void {
  if (release.validUntil !== undefined && now.getTime() > release.validUntil.getTime()) {
    throw new ArchiveError(
      'ARCHIVE_EXPIRED',
      url,
      `Release expired: Valid-Until ${release.validUntil.toISOString()} is before ${now.toISOString()}`,
    );
  }
}

/**
 * Refuses a Release that describes another suite than the one requested:
 * a valid signature on bookworm's Release served as bookworm-security's would
 * otherwise quietly replace the security suite. Same rule as apt's.
 */
export function assertDescribesSuite(release: ReleaseFile, suite: string, url: string): void {
  const names = [release.suite, release.codename].filter((name): name is string => name !== undefined);
  if (names.length > 0 && !names.includes(suite)) {
    throw new ArchiveError('ARCHIVE_SUITE_MISMATCH', url, `asked for suite ${suite}, Release describes ${names.join('/')}`);
  }
}
