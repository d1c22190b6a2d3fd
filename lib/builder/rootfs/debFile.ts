/** What the builder reads out of one .deb, through dpkg-deb (the host's, from Debian's dpkg). */
import { exec, execBuffer } from '../../process/exec';

export interface DebContents {
  /** The control stanza exactly as the package ships it. */
  control: string;
  /** Paths the package installs, dpkg `.list` style (`/.`, `/usr`, `/usr/bin/x`). */
  files: string[];
  md5sums: string;
}

export async function extractDeb(deb: string, rootfs: string): Promise<void> {
  await exec('dpkg-deb', ['--extract', deb, rootfs]);
}

export async function readDeb(deb: string): Promise<DebContents> {
  const [control, listing, md5sums] = await Promise.all([
    exec('dpkg-deb', ['--field', deb]),
    execBuffer('dpkg-deb', ['--fsys-tarfile', deb]).then((tar) => exec('tar', ['--list', '--file=-'], { input: tar })),
    execBuffer('dpkg-deb', ['--ctrl-tarfile', deb])
      .then((tar) => exec('tar', ['--extract', '--to-stdout', '--file=-', './md5sums'], { input: tar }))
      .catch(() => ''),
  ]);
  const files = listing
    .split('\n')
    .filter(Boolean)
    .map((p) => (p === './' ? '/.' : '/' + p.replace(/^\.\//, '').replace(/\/$/, '')));
  return { control: control.trimEnd() + '\n', files, md5sums };
}
