/**
 * Hand-made .deb files for tests that need what dpkg-deb --build would never
 * write: absolute or climbing names, symlinks and hardlinks pointing out of
 * the tree, device nodes, setuid files. The bytes are a real deb(5) archive
 * (debian-binary, control.tar.gz, data.tar.gz in an ar container), so what
 * tempered reads from it is what it would read from a hostile archive.
 */
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { writeArArchive } from '../../lib/deb/ar';

export interface CraftedEntry {
  /** Written as is: `./usr/bin/x`, `/etc/evil`, `./../../x`... */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  mode?: number;
  content?: string;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

async function tarOf(entries: readonly CraftedEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => archive.on('end', () => resolve()));
  for (const e of entries) {
    const body = e.type === 'file' ? Buffer.from(e.content ?? '') : undefined;
    const mode = e.mode ?? (e.type === 'directory' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644);
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type: e.type, mode, uid: 0, gid: 0, mtime: new Date(1_700_000_000_000), linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor, size: body?.length ?? 0 };
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) archive.entry(header, body, cb);
      else archive.entry(header, cb);
    });
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function craftDeb(control: string, entries: readonly CraftedEntry[]): Promise<Buffer> {
  const controlTar = await tarOf([{ name: './', type: 'directory' }, { name: './control', type: 'file', content: control }]);
  return writeArArchive([
    { name: 'debian-binary', data: Buffer.from('2.0\n') },
    { name: 'control.tar.gz', data: gzipSync(controlTar) },
    { name: 'data.tar.gz', data: gzipSync(await tarOf(entries)) },
  ]);
}
