import type { RawEntry } from './rawEntry';
import { TreeError } from './errors';
import { IMAGE_OWNER, ImageTree, type TreeRules } from './tree';

const RUNTIME: TreeRules = { setidAllowed: new Set(), specialFiles: 'refuse' };
const DEV: TreeRules = { specialFiles: 'skip' };

const dir = (name: string, mode = 0o755): RawEntry => ({ name, type: 'directory', mode, uid: 0, gid: 0, mtime: 100, size: 0 });
const file = (name: string, mode = 0o644, size = 3): RawEntry => ({ name, type: 'file', mode, uid: 0, gid: 0, mtime: 100, size });
const symlink = (name: string, linkname: string): RawEntry => ({ name, type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 100, size: 0, linkname });
const hardlink = (name: string, linkname: string): RawEntry => ({ name, type: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtime: 100, size: 0, linkname });
const pkg = (name: string, entries: RawEntry[], replaces: { name: string; relation?: '<<' | '>='; version?: string }[] = [], version = '1.0') => ({ name, version, replaces, entries });

function refusal(run: () => void): TreeError {
  try {
    run();
  } catch (err) {
    if (err instanceof TreeError) return err;
    throw err;
  }
  throw new Error('expected a TreeError');
}

describe('names', () => {
  it('normalizes dpkg-deb names and refuses absolute and climbing ones, naming the package', () => {
    const tree = new ImageTree(RUNTIME);
    tree.addPackage(pkg('ok', [dir('./'), dir('./usr/'), dir('./usr/bin/'), file('./usr/bin/tool')]));
    expect(tree.get('/usr/bin/tool')?.type).toBe('file');
    for (const name of ['/etc/passwd', './../../etc/shadow', './usr/../../../root']) {
      const e = refusal(() => new ImageTree(RUNTIME).addPackage(pkg('evil', [file(name)])));
      expect(e.code).toBe('NAME_INVALID');
      expect(e.message).toContain('package evil ships');
    }
  });
});

describe('symlinks', () => {
  it('refuses an entry below a symlink that an earlier package shipped', () => {
    const tree = new ImageTree(RUNTIME);
    tree.addPackage(pkg('a', [dir('./usr/'), dir('./usr/lib/'), symlink('./usr/lib/x', '/srv/host-dir')]));
    tree.addPackage(pkg('b', [file('./usr/lib/x/file')]));
    const e = refusal(() => tree.verify());
    expect(e.code).toBe('THROUGH_SYMLINK');
    expect(e.message).toBe('package b ships /usr/lib/x/file, which passes through the symlink /usr/lib/x -> /srv/host-dir (shipped by package a): refused, writing it would follow the link');
  });
  it('refuses it just the same when the symlink comes from a later package', () => {
    const tree = new ImageTree(RUNTIME);
    tree.addPackage(pkg('b', [dir('./usr/'), dir('./usr/lib/'), file('./usr/lib/x/file')]));
    tree.addPackage(pkg('a', [symlink('./usr/lib/x', '../../etc')]));
    expect(refusal(() => tree.verify()).code).toBe('THROUGH_SYMLINK');
  });
  it('refuses a later symlink over a directory another package ships (a path conflict)', () => {
    const tree = new ImageTree(RUNTIME);
    tree.addPackage(pkg('b', [dir('./usr/'), dir('./usr/lib/'), dir('./usr/lib/x/'), file('./usr/lib/x/file')]));
    expect(refusal(() => tree.addPackage(pkg('a', [symlink('./usr/lib/x', '/etc')]))).code).toBe('PATH_CONFLICT');
  });
});

describe('hardlinks', () => {
  it('must name a regular file already in the tree', () => {
    const tree = new ImageTree(RUNTIME);
    tree.addPackage(pkg('a', [dir('./usr/'), file('./usr/real'), hardlink('./usr/alias', './usr/real')]));
    expect(tree.get('/usr/alias')).toMatchObject({ type: 'hardlink', linkname: '/usr/real' });
    expect(refusal(() => new ImageTree(RUNTIME).addPackage(pkg('evil', [hardlink('./usr/key', './state/keys/tempered.key')]))).code).toBe('HARDLINK_TARGET');
    expect(refusal(() => new ImageTree(RUNTIME).addPackage(pkg('evil', [hardlink('./k', '/etc/shadow')]))).code).toBe('NAME_INVALID');
  });
  it('never reaches through a symlink to a host file', () => {
    const tree = new ImageTree(RUNTIME);
    tree.addPackage(pkg('a', [symlink('./y', '/var/lib/tempered/keys')]));
    const e = refusal(() => tree.addPackage(pkg('b', [hardlink('./z', './y/tempered.key')])));
    expect(e.code).toBe('HARDLINK_TARGET');
    expect(e.message).toContain('package b ships the hardlink /z to /y/tempered.key');
  });
});

describe('special files and modes', () => {
  it('refuses device nodes and FIFOs in runtime images and leaves them out of dev trees', () => {
    const device: RawEntry = { ...file('./dev/evil'), type: 'character-device' };
    const fifo: RawEntry = { ...file('./run/pipe'), type: 'fifo' };
    for (const e of [device, fifo]) expect(refusal(() => new ImageTree(RUNTIME).addPackage(pkg('evil', [e]))).code).toBe('SPECIAL_FILE');
    const tree = new ImageTree(DEV);
    tree.addPackage(pkg('udev', [device, fifo]));
    expect(tree.get('/dev/evil')).toBeUndefined();
  });
  it('clears setuid and setgid in runtime images unless the definition allows the path; dev keeps them', () => {
    const entries = [dir('./usr/'), dir('./usr/bin/'), file('./usr/bin/su', 0o4755), file('./usr/bin/wall', 0o2755), file('./usr/bin/ping', 0o4755)];
    const runtime = new ImageTree({ ...RUNTIME, setidAllowed: new Set(['/usr/bin/ping']) });
    runtime.addPackage(pkg('util', entries));
    expect(runtime.get('/usr/bin/su')?.mode).toBe(0o755);
    expect(runtime.get('/usr/bin/wall')?.mode).toBe(0o755);
    expect(runtime.get('/usr/bin/ping')?.mode).toBe(0o4755);
    const dev = new ImageTree(DEV);
    dev.addPackage(pkg('util', entries));
    expect(dev.get('/usr/bin/su')?.mode).toBe(0o4755);
  });
});

describe('two packages, one path', () => {
  it('is a conflict naming both packages unless one Replaces the other', () => {
    const tree = new ImageTree(RUNTIME);
    tree.addPackage(pkg('a', [dir('./etc/'), file('./etc/x.conf')]));
    const e = refusal(() => tree.addPackage(pkg('b', [file('./etc/x.conf')])));
    expect(e.code).toBe('PATH_CONFLICT');
    expect(e.message).toBe('packages a and b both ship /etc/x.conf (file and file) and neither Replaces the other');
  });
  it('gives the path to the package whose Replaces names the other, in either order', () => {
    const later = new ImageTree(RUNTIME);
    later.addPackage(pkg('old', [file('./x')]));
    later.addPackage(pkg('new', [file('./x', 0o600)], [{ name: 'old' }]));
    expect(later.get('/x')).toMatchObject({ owner: 'new', mode: 0o600 });
    const earlier = new ImageTree(RUNTIME);
    earlier.addPackage(pkg('new', [file('./x', 0o600)], [{ name: 'old' }]));
    earlier.addPackage(pkg('old', [file('./x')]));
    expect(earlier.get('/x')).toMatchObject({ owner: 'new', mode: 0o600 });
  });
  it('honours the version in Replaces', () => {
    const tree = new ImageTree(RUNTIME);
    tree.addPackage(pkg('old', [file('./x')], [], '2.0'));
    expect(refusal(() => tree.addPackage(pkg('new', [file('./x')], [{ name: 'old', relation: '<<', version: '2.0' }]))).code).toBe('PATH_CONFLICT');
    tree.addPackage(pkg('newer', [file('./x')], [{ name: 'old', relation: '<<', version: '2.1' }]));
    expect(tree.get('/x')?.owner).toBe('newer');
  });
  it('keeps the first metadata of a directory two packages ship', () => {
    const tree = new ImageTree(RUNTIME);
    tree.addPackage(pkg('a', [dir('./srv/', 0o750)]));
    tree.addPackage(pkg('b', [dir('./srv/', 0o777)]));
    expect(tree.get('/srv')).toMatchObject({ owner: 'a', mode: 0o750 });
  });
});

describe('what the builder and the definition write', () => {
  it('never goes through a symlink a package shipped (./tmp -> /etc)', () => {
    const tree = new ImageTree(RUNTIME);
    tree.addPackage(pkg('evil', [symlink('./tmp', '/etc')]));
    const e = refusal(() => tree.put({ path: '/tmp/x', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 1, content: { kind: 'bytes', bytes: Buffer.from('x') } }));
    expect(e.code).toBe('PATH_TYPE');
    expect(e.message).toBe('/tmp/x would be written through /tmp, a symlink -> /etc shipped by package evil');
    expect(refusal(() => tree.put({ path: '/tmp', type: 'directory', mode: 0o1777, uid: 0, gid: 0, mtime: 0, size: 0 })).message).toContain('cannot become a directory');
  });
  it('creates missing parents as root 0755 directories owned by the definition, with the generated-files mtime', () => {
    const tree = new ImageTree(RUNTIME);
    tree.put({ path: '/etc/ssl/certs/ca-certificates.crt', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 7, size: 1, content: { kind: 'bytes', bytes: Buffer.from('x') } });
    expect(tree.get('/etc/ssl')).toMatchObject({ type: 'directory', mode: 0o755, owner: IMAGE_OWNER, mtime: 0 });
    expect(tree.list().map((n) => n.path)).toEqual(['/', '/etc', '/etc/ssl', '/etc/ssl/certs', '/etc/ssl/certs/ca-certificates.crt']);
  });
});
