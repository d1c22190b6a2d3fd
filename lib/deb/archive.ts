/**
 * Reads a verified .deb without unpacking it anywhere: the control stanza,
 * md5sums and conffiles from `control.tar.*`, and every entry of
 * `data.tar.*` as tar metadata with, for the paths a caller asks for, the
 * file's bytes. Names are returned exactly as the package wrote them; what
 * may become part of an image is decided by the builder's tree rules
 * (lib/builder/tree), never here.
 */
import * as fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { DebFormatError, readArMembers } from './ar';
import { compressionOf, decompress } from './decompress';
import type { RawEntry, RawEntryType } from '../../domain/rootfs/rawEntry';

export type { RawEntry, RawEntryType };

export interface DebControl {
  /** The control stanza exactly as the package ships it (ends with one newline). */
  control: string;
  md5sums?: string;
  conffiles?: string;
}

/** Bounds on what one package may expand to: far above Debian's largest packages. */
export const DEB_LIMITS = { entries: 200_000, controlBytes: 4 * 1024 * 1024 } as const;

const entryType = (h: Header): RawEntryType => {
  switch (h.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    case 'character-device':
    case 'block-device':
    case 'fifo':
      return h.type;
    default:
      return 'other';
  }
};

function members(deb: Buffer, where: string) {
  const all = readArMembers(deb, where);
  const [first] = all;
  if (first?.name !== 'debian-binary' || !first.data.toString('latin1').startsWith('2.')) {
    throw new DebFormatError(`${where}: not a Debian binary package (the first member must be debian-binary 2.x)`);
  }
  // deb(5): members starting with "_" are for other tools; control, then data, in that order.
  const rest = all.slice(1).filter((m) => !m.name.startsWith('_'));
  const control = rest[0];
  const data = rest[1];
  const controlCompression = control && compressionOf(control.name, 'control.tar');
  const dataCompression = data && compressionOf(data.name, 'data.tar');
  if (!control || !controlCompression) throw new DebFormatError(`${where}: the second member must be control.tar[.gz|.xz|.zst], not ${control?.name ?? 'missing'}`);
  if (!data || !dataCompression) throw new DebFormatError(`${where}: the third member must be data.tar[.gz|.xz|.zst], not ${data?.name ?? 'missing'}`);
  return { control: { data: control.data, compression: controlCompression }, data: { data: data.data, compression: dataCompression } };
}

/** Walks a tar stream; `onEntry` returns whether it wants the entry's bytes. */
async function walkTar(
  stream: NodeJS.ReadableStream,
  where: string,
  onEntry: (entry: RawEntry) => boolean,
  onContent: (entry: RawEntry, bytes: Buffer) => void,
): Promise<void> {
  const tar = extract();
  let count = 0;
  tar.on('entry', (header, body, next) => {
    if (++count > DEB_LIMITS.entries) {
      body.resume();
      tar.destroy(new DebFormatError(`${where}: more than ${DEB_LIMITS.entries} entries`));
      return;
    }
    const entry: RawEntry = {
      name: header.name,
      type: entryType(header),
      mode: (header.mode ?? 0) & 0o7777,
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      mtime: Math.floor((header.mtime?.getTime() ?? 0) / 1000),
      size: header.size ?? 0,
      ...(header.linkname ? { linkname: header.linkname } : {}),
    };
    const wanted = onEntry(entry) && entry.type === 'file';
    if (!wanted) {
      body.on('end', next);
      body.resume();
      return;
    }
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      onContent(entry, Buffer.concat(chunks));
      next();
    });
  });
  try {
    await pipeline(stream, tar);
  } catch (err) {
    if (err instanceof DebFormatError) throw err;
    throw new DebFormatError(`${where}: ${(err as Error).message}`);
  }
}

export async function readDebFile(file: string, where = file): Promise<Buffer> {
  return fs.readFile(file).catch((err: Error) => {
    throw new DebFormatError(`${where}: cannot read the package (${err.message})`);
  });
}

/** The control stanza, md5sums and conffiles. */
export async function readDebControl(deb: Buffer, where: string): Promise<DebControl> {
  const { control } = members(deb, where);
  const files: Record<string, string> = {};
  let bytes = 0;
  await walkTar(
    decompress(control.data, control.compression, `${where} control.tar`),
    `${where} control.tar`,
    (e) => ['control', 'md5sums', 'conffiles'].includes(e.name.replace(/^\.\//, '')),
    (e, content) => {
      bytes += content.length;
      if (bytes > DEB_LIMITS.controlBytes) throw new DebFormatError(`${where}: control.tar holds more than ${DEB_LIMITS.controlBytes} bytes of metadata`);
      files[e.name.replace(/^\.\//, '')] = content.toString('utf8');
    },
  );
  if (files.control === undefined) throw new DebFormatError(`${where}: control.tar has no control file`);
  return { control: files.control.trimEnd() + '\n', md5sums: files.md5sums, conffiles: files.conffiles };
}

/**
 * Every data.tar entry, in archive order; `wantContent(entry)` picks the
 * regular files whose bytes come back in `contents` (keyed by raw name).
 */
export async function readDebData(
  deb: Buffer,
  where: string,
  wantContent: (entry: RawEntry) => boolean = () => false,
): Promise<{ entries: RawEntry[]; contents: Map<string, Buffer> }> {
  const { data } = members(deb, where);
  const entries: RawEntry[] = [];
  const contents = new Map<string, Buffer>();
  await walkTar(
    decompress(data.data, data.compression, `${where} data.tar`),
    `${where} data.tar`,
    (e) => {
      entries.push(e);
      return wantContent(e);
    },
    (e, bytes) => contents.set(e.name, bytes),
  );
  return { entries, contents };
}
