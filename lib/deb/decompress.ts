/**
 * Decompressors for the members of a .deb (deb(5): `.gz`, `.xz`, `.zst` or
 * none), as streams: a package is never written out to be unpacked. gzip and
 * zstd are Node's own zlib; xz has no maintained streaming binding, so it is
 * Debian's `xz` as a pipe, with an empty environment.
 */
import { PassThrough, Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { DebFormatError } from './ar';
import { spawnChild } from '../process/exec';

export type Compression = 'gz' | 'xz' | 'zst' | 'none';

/** The compression a member name says (`data.tar.xz` -> xz), or undefined for a name deb(5) does not allow. */
export function compressionOf(memberName: string, stem: 'control.tar' | 'data.tar'): Compression | undefined {
  if (memberName === stem) return 'none';
  const ext = memberName.startsWith(`${stem}.`) ? memberName.slice(stem.length + 1) : undefined;
  return ext === 'gz' || ext === 'xz' || ext === 'zst' ? ext : undefined;
}

/** `data` decompressed, as a stream; errors (corrupt input) surface on it naming `where`. */
export function decompress(data: Buffer, compression: Compression, where: string): Readable {
  if (compression === 'none') return Readable.from([data]);
  if (compression === 'xz') return xzStream(data, where);
  const inflate: Transform = compression === 'gz' ? zlib.createGunzip() : zlib.createZstdDecompress();
  const out = new PassThrough();
  inflate.on('error', (err) => out.destroy(new DebFormatError(`${where}: ${compression} data is corrupt (${err.message})`)));
  inflate.pipe(out);
  inflate.end(data);
  return out;
}

function xzStream(data: Buffer, where: string): Readable {
  const child = spawnChild('xz', ['--decompress', '--stdout', '--quiet', '--single-stream'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()).slice(-2000));
  child.on('error', (err) => out.destroy(new DebFormatError(`${where}: cannot run xz (${err.message})`)));
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new DebFormatError(`${where}: xz data is corrupt (xz exited ${code}: ${stderr.trim().slice(0, 300)})`));
  });
  // The reader may stop early (a corrupt tar): xz then sees EPIPE, which is not the package's fault.
  child.stdin.on('error', () => undefined);
  out.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  child.stdin.end(data);
  return out;
}
