/**
 * Fetches a suite's InRelease and returns its Release fields only after the
 * three checks that make them trustworthy: signed by the keyring, about the
 * suite asked for, and not past Valid-Until.
 *
 * Only InRelease is read, not the older Release + Release.gpg pair: every
 * Debian suite has InRelease, and one file cannot be paired with the wrong
 * signature.
 */
import { createHash } from 'node:crypto';
import { ArchiveError } from './errors';
import { verifyClearsigned } from './gpgv';
import { assertDescribesSuite, assertNotExpired, parseRelease, type ReleaseFile } from './release';
import { openUrl, readAll, type TransportOptions } from './transport';

/** Debian's are about 150 KB; anything near this is not a Release file and is not worth holding in memory. */
const MAX_INRELEASE_BYTES = 16 * 1024 * 1024;

export interface VerifiedRelease {
  /** The InRelease URL. */
  url: string;
  /** SHA256 of the InRelease bytes as served: identifies this exact archive state. */
  sha256: string;
  /** Primary-key fingerprints that signed it. */
  signers: string[];
  release: ReleaseFile;
}

export function suiteUrl(archiveUri: string, suite: string): string {
  return `${archiveUri}/dists/${suite}`;
}

export async function fetchVerifiedRelease(
  archiveUri: string,
  suite: string,
  keyring: string,
  now: Date,
  transport: TransportOptions,
): Promise<VerifiedRelease> {
  const url = `${suiteUrl(archiveUri, suite)}/InRelease`;
  const signed = await readAll(
    await openUrl(url, transport),
    MAX_INRELEASE_BYTES,
    () => new ArchiveError('ARCHIVE_BAD_SIGNATURE', url, `larger than ${MAX_INRELEASE_BYTES} bytes, not an InRelease`),
  );
  const verified = await verifyClearsigned(signed, keyring, url);
  const release = parseRelease(verified.text, url);
  assertDescribesSuite(release, suite, url);
  assertNotExpired(release, now, url);
  return { url, sha256: createHash('sha256').update(signed).digest('hex'), signers: verified.signers, release };
}
