/**
 * Writing into the state directory: whole files or nothing, and a full disk
 * said plainly.
 *
 * Every record, lock and blob is written under a temporary name beside its
 * final one and renamed into place, so a reader (or a crashed worker's
 * successor) never sees half a file; and when the write fails the temporary
 * file is removed, because on a full disk a partial file left behind by each
 * retry would eat the very space an operator just freed.
 *
 * Node reports a full disk as "ENOSPC: no space left on device, write",
 * naming neither the file nor the disk, and tar or dpkg-deb only say "No
 * space left on device" in their stderr. explainDiskFull turns all of those
 * into one DiskFullError that names the directories and their free space, so
 * the pending activity's last failure tells on-call what to free. It stays
 * retryable: once there is space, the next attempt goes through by itself.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ExecError } from '../process/exec';
import { TemperedError } from '../../domain/errors';

export function writeFileAtomicSync(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export class DiskFullError extends TemperedError<'ENOSPC'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ENOSPC', message, options);
  }
}

const NO_SPACE_TEXT = /No space left on device|Disk quota exceeded/i;

/** ENOSPC or EDQUOT from Node, or a tool (tar, dpkg-deb, mmdebstrap) that ran out of space. */
export function isOutOfSpace(err: unknown): boolean {
  // Already explained, or classified on purpose (a failed image test may quote a container's own ENOSPC).
  if (err instanceof DiskFullError || err instanceof ApplicationFailure) return false;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  if (err instanceof ExecError) return NO_SPACE_TEXT.test(err.stderr);
  return err instanceof Error && NO_SPACE_TEXT.test(err.message);
}

function freeSpace(dir: string): string {
  try {
    const s = fs.statfsSync(dir);
    const mb = (s.bavail * s.bsize) / 1e6;
    return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB free`;
  } catch {
    return 'free space unknown';
  }
}

/**
 * `err` unchanged unless it is a full disk; then a DiskFullError naming the
 * directories the activity writes to, with their free space now (the one
 * near zero is the one to clean), and the original message.
 */
export function explainDiskFull(err: unknown, directories: Record<string, string>): unknown {
  if (!isOutOfSpace(err)) return err;
  const where = Object.entries(directories).map(([what, dir]) => `${what} ${dir} (${freeSpace(dir)})`).join(', ');
  const file = (err as NodeJS.ErrnoException).path;
  const original = (err as Error).message.split('\n')[0]?.slice(0, 300) ?? String(err);
  return new DiskFullError(`ENOSPC: disk full${file ? ` writing ${file}` : ''}: ${where}; free space there and the activity retries by itself (${original})`, { cause: err });
}
