/**
 * Checks a clearsigned InRelease with `gpgv` and returns exactly the text the
 * signature covers.
 *
 * The verdict comes from gpgv's machine-readable status lines, as apt's own
 * gpgv method decides, not from its exit code: Debian signs each InRelease
 * with several keys, so a keyring holding only one of them makes gpgv exit 2
 * although one signature is good; and exit 0 alone would not say which key
 * signed. The returned text is what gpgv wrote with `--output`, never the
 * file stripped by hand: text outside the signed block must not be parsed.
 */
import { spawnChild } from '../process/exec';
import { access } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ArchiveError } from './errors';

export interface VerifiedText {
  /** The signed content: a Release file. */
  text: string;
  /** Primary-key fingerprints of the keys that made a good signature. */
  signers: string[];
}

export type SignatureVerdict = { ok: true; signers: string[] } | { ok: false; reason: string };

/** OpenPGP hash algorithm ids (RFC 4880 9.4) too weak to trust, as apt refuses them too. */
const WEAK_HASH_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1', 'MD5'],
  ['2', 'SHA1'],
  ['3', 'RIPEMD160'],
]);

/**
 * Judges `--status-fd` output. Good means: no BADSIG at all, and at least one
 * signature with both GOODSIG and VALIDSIG over a strong hash. Signatures by
 * keys missing from the keyring (ERRSIG/NO_PUBKEY), expired or revoked keys
 * (EXPKEYSIG/REVKEYSIG) count for nothing, for or against.
 */
export function judgeGpgvStatus(status: string): SignatureVerdict {
  const lines = status
    .split('\n')
    .filter((line) => line.startsWith('[GNUPG:] '))
    .map((line) => line.slice('[GNUPG:] '.length).split(' '));
  if (lines.some(([keyword]) => keyword === 'BADSIG')) return { ok: false, reason: 'a signature is BAD (altered content)' };

  const goodKeyIds = lines.filter(([keyword]) => keyword === 'GOODSIG').map(([, keyId]) => keyId ?? '');
  const signers: string[] = [];
  const weak: string[] = [];
  for (const fields of lines) {
    if (fields[0] !== 'VALIDSIG') continue;
    // VALIDSIG <fpr> <date> <timestamp> <expire> <version> <reserved> <pubkey-algo> <hash-algo> <class> [<primary-fpr>]
    const fingerprint = fields[1] ?? '';
    const hashAlgorithm = fields[8] ?? '';
    const primaryFingerprint = fields[10] ?? fingerprint;
    // GOODSIG names the long key id, the last 16 hex digits of VALIDSIG's fingerprint.
    if (!goodKeyIds.some((keyId) => keyId.length > 0 && fingerprint.endsWith(keyId))) continue;
    const weakName = WEAK_HASH_ALGORITHMS.get(hashAlgorithm);
    if (weakName) weak.push(`${fingerprint} uses ${weakName}`);
    else signers.push(primaryFingerprint);
  }
  if (signers.length > 0) return { ok: true, signers };
  if (weak.length > 0) return { ok: false, reason: `only weak signatures: ${weak.join(', ')}` };
  if (lines.some(([keyword]) => keyword === 'NO_PUBKEY')) {
    return { ok: false, reason: 'not signed by any key in the keyring' };
  }
  if (lines.some(([keyword]) => keyword === 'EXPKEYSIG' || keyword === 'REVKEYSIG'))
    return { ok: false, reason: 'signed only by expired or revoked keys' };
  return { ok: false, reason: 'no valid signature found' };
}

function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Verifies `signed` (the bytes of an InRelease fetched from `url`) against `keyring`. */
export async function verifyClearsigned(signed: Buffer, keyring: string, url: string): Promise<VerifiedText> {
  try {
    await access(keyring);
  } catch {
    throw new ArchiveError('ARCHIVE_BAD_SIGNATURE', url, `keyring ${keyring} is not readable`);
  }
  // fd 3 carries status lines only; stdout the signed text; stderr human messages.
  const child = spawnChild('gpgv', ['--keyring', keyring, '--status-fd', '3', '--output', '-', '-'], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const statusStream = child.stdio[3] as Readable;
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  // gpgv may stop reading early (garbage input); the EPIPE that follows is not the verdict.
  child.stdin.on('error', () => undefined);
  child.stdin.end(signed);
  let text: Buffer;
  let status: Buffer;
  let messages: Buffer;
  try {
    const outputs = [collect(child.stdout), collect(statusStream), collect(child.stderr)] as const;
    [text, status, messages] = await Promise.all([...outputs, exited]);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'gpgv is not installed (Debian package gpgv)' : `gpgv failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const verdict = judgeGpgvStatus(status.toString('utf8'));
  if (!verdict.ok) {
    const detail = messages.toString('utf8').trim().split('\n').slice(-1)[0] ?? '';
    throw new ArchiveError('ARCHIVE_BAD_SIGNATURE', url, `${verdict.reason}${detail ? ` (gpgv: ${detail})` : ''}`);
  }
  return { text: text.toString('utf8'), signers: verdict.signers };
}
