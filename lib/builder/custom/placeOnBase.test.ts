import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BaseFilesystem } from './baseFilesystem';
import { placeOnBase, throughBaseSymlinks } from './placeOnBase';

/** A merged-/usr base, as mmdebstrap makes dev images. */
const MERGED_USR: BaseFilesystem = {
  files: {},
  directories: {
    '/usr': { mode: 0o755, uid: 0, gid: 0 },
    '/usr/lib': { mode: 0o755, uid: 0, gid: 0 },
    '/tmp': { mode: 0o1777, uid: 0, gid: 0 },
    '/home/nonroot': { mode: 0o700, uid: 65532, gid: 65532 },
  },
  symlinks: { '/lib': 'usr/lib', '/lib64': 'usr/lib64', '/usr/lib/x86_64-linux-gnu/libfoo.so.1': 'libfoo.so.1.2', '/etc/alt': '/usr/lib/alt', '/loop': '/loop/again' },
};

describe('throughBaseSymlinks', () => {
  it('resolves parent directories through the base symlinks, inside the image root', () => {
    expect(throughBaseSymlinks('/lib/x86_64-linux-gnu/libc.so.6', MERGED_USR.symlinks)).toBe('/usr/lib/x86_64-linux-gnu/libc.so.6');
    expect(throughBaseSymlinks('/etc/alt/conf', MERGED_USR.symlinks)).toBe('/usr/lib/alt/conf');
    expect(throughBaseSymlinks('/usr/bin/tool', MERGED_USR.symlinks)).toBe('/usr/bin/tool');
    // The last component is kept: a file over a symlink replaces the symlink, as dpkg does.
    expect(throughBaseSymlinks('/lib', MERGED_USR.symlinks)).toBe('/lib');
    expect(throughBaseSymlinks('/x/y', { '/x': '../../../../etc' })).toBe('/etc/y');
  });

  it('gives up on a symlink loop instead of spinning', () => {
    expect(() => throughBaseSymlinks('/loop/file', MERGED_USR.symlinks)).toThrow(/too many levels of symbolic links/);
  });
});

describe('placeOnBase', () => {
  const stage = (files: Record<string, string>): string => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-layer-'));
    for (const [p, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      fs.writeFileSync(path.join(root, p), content);
    }
    return root;
  };
  const list = (root: string, rel = ''): string[] =>
    fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)).flatMap((e) => {
      const p = path.posix.join(rel, e.name);
      return e.isDirectory() ? [`/${p}/`, ...list(root, p)] : [`/${p}`];
    });

  it('moves content staged under a symlinked directory to where the symlink points, and never leaves a directory over it', () => {
    const root = stage({ 'lib/x86_64-linux-gnu/libbar.so.1': 'bar', 'usr/bin/tool': 'tool' });
    expect(placeOnBase(root, MERGED_USR)).toEqual({ moved: 1 });
    expect(list(root)).toEqual(['/usr/', '/usr/bin/', '/usr/bin/tool', '/usr/lib/', '/usr/lib/x86_64-linux-gnu/', '/usr/lib/x86_64-linux-gnu/libbar.so.1']);
  });

  it('gives directories the base also has the base owner and mode', () => {
    const root = stage({ 'tmp/x': 'x', 'home/nonroot/.profile': 'p', 'etc/app/conf': 'c' });
    for (const dir of ['tmp', 'home/nonroot', 'etc/app']) fs.chmodSync(path.join(root, dir), 0o755);
    placeOnBase(root, MERGED_USR);
    const mode = (p: string) => (fs.statSync(path.join(root, p)).mode & 0o7777).toString(8);
    expect(mode('tmp')).toBe('1777');
    expect(mode('home/nonroot')).toBe('700');
    expect(fs.statSync(path.join(root, 'home/nonroot')).uid).toBe(65532);
    expect(mode('etc/app')).toBe('755');
  });
});
