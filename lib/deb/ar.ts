/**
 * The `ar` container of a .deb: an 8-byte magic, then members, each a fixed
 * 60-byte text header (name, mtime, uid, gid, mode, size, "`\n") and its
 * data padded to an even length (deb(5), ar(5)). Written by hand: the format
 * is these few lines, and no well-kept npm package parses it.
 */
import { TemperedError } from '../../domain/errors';

const MAGIC = '!<arch>\n';
const HEADER = 60;

export interface ArMember {
  name: string;
  data: Buffer;
}

export class DebFormatError extends TemperedError<'DEB_MALFORMED'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEB_MALFORMED', message, options);
  }
}

/** The members of an ar archive, as slices of `archive` (nothing copied). */
export function readArMembers(archive: Buffer, where: string): ArMember[] {
  if (archive.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) throw new DebFormatError(`${where}: not an ar archive (bad magic)`);
  const members: ArMember[] = [];
  let offset = MAGIC.length;
  while (offset < archive.length) {
    if (offset + HEADER > archive.length) throw new DebFormatError(`${where}: truncated ar member header at byte ${offset}`);
    const header = archive.subarray(offset, offset + HEADER).toString('latin1');
    if (header.slice(58, 60) !== '`\n') throw new DebFormatError(`${where}: bad ar member header at byte ${offset}`);
    // GNU ar ends names with "/"; dpkg writes them space-padded either way.
    const name = header.slice(0, 16).trimEnd().replace(/\/$/, '');
    const sizeText = header.slice(48, 58).trim();
    if (!/^\d{1,10}$/.test(sizeText)) throw new DebFormatError(`${where}: ar member ${JSON.stringify(name)} has a bad size field`);
    const size = Number(sizeText);
    const start = offset + HEADER;
    if (start + size > archive.length) throw new DebFormatError(`${where}: ar member ${name} runs past the end of the file`);
    members.push({ name, data: archive.subarray(start, start + size) });
    offset = start + size + (size % 2);
  }
  return members;
}

/** An ar archive of `members`, as dpkg-deb writes one (mtime 0, uid/gid 0, mode 100644). Tests craft packages with it. */
export function writeArArchive(members: readonly ArMember[]): Buffer {
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1')];
  for (const m of members) {
    if (m.name.length > 16) throw new Error(`ar member name ${m.name} is longer than 16 characters`);
    const header = m.name.padEnd(16) + '0'.padEnd(12) + '0'.padEnd(6) + '0'.padEnd(6) + '100644'.padEnd(8) + String(m.data.length).padEnd(10) + '`\n';
    parts.push(Buffer.from(header, 'latin1'), m.data);
    if (m.data.length % 2) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}
