import { TreeError } from './errors';
import { type BaseFacts, placeOnBase, throughBaseSymlinks } from './placeOnBase';
import { ImageTree } from './tree';

/** A merged-/usr base, as mmdebstrap makes dev images. */
const MERGED_USR: BaseFacts = {
  directories: {
    '/usr': { mode: 0o755, uid: 0, gid: 0 },
    '/usr/lib': { mode: 0o755, uid: 0, gid: 0 },
    '/tmp': { mode: 0o1777, uid: 0, gid: 0 },
    '/home/nonroot': { mode: 0o700, uid: 65532, gid: 65532 },
  },
  symlinks: { '/lib': 'usr/lib', '/lib64': 'usr/lib64', '/usr/lib/x86_64-linux-gnu/libfoo.so.1': 'libfoo.so.1.2', '/etc/alt': '/usr/lib/alt', '/loop': '/loop/again' },
};

const file = (tree: ImageTree, p: string) => tree.put({ path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1, size: 1, content: { kind: 'bytes', bytes: Buffer.from('x') } });

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
  it('moves what sits under a symlinked directory to where the symlink points, and never leaves a directory over it', () => {
    const layer = new ImageTree({ specialFiles: 'refuse' });
    file(layer, '/lib/x86_64-linux-gnu/libbar.so.1');
    file(layer, '/usr/bin/tool');
    expect(placeOnBase(layer, MERGED_USR).list().map((n) => n.path)).toEqual(['/', '/usr', '/usr/bin', '/usr/bin/tool', '/usr/lib', '/usr/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu/libbar.so.1']);
  });
  it('gives directories the base also has the base owner and mode', () => {
    const layer = new ImageTree({ specialFiles: 'refuse' });
    file(layer, '/tmp/x');
    file(layer, '/home/nonroot/.profile');
    file(layer, '/etc/app/conf');
    const placed = placeOnBase(layer, MERGED_USR);
    expect(placed.get('/tmp')).toMatchObject({ mode: 0o1777 });
    expect(placed.get('/home/nonroot')).toMatchObject({ mode: 0o700, uid: 65532 });
    expect(placed.get('/etc/app')).toMatchObject({ mode: 0o755 });
  });
  it('refuses a file where the base has a directory', () => {
    const layer = new ImageTree({ specialFiles: 'refuse' });
    file(layer, '/lib');
    // /lib is a symlink in the base: a file replaces it, as dpkg does.
    expect(placeOnBase(layer, MERGED_USR).get('/lib')?.type).toBe('file');
    const over = new ImageTree({ specialFiles: 'refuse' });
    file(over, '/usr/lib');
    expect(() => placeOnBase(over, MERGED_USR)).toThrow(TreeError);
  });
});
