import { partition } from './partition';
import type { RawEntry } from './rawEntry';
import { ImageTree } from './tree';

const e = (name: string, type: RawEntry['type'], mtime: number, extra: Partial<RawEntry> = {}): RawEntry => ({ name, type, mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime, size: 1, ...extra });

function tree() {
  const t = new ImageTree({ setidAllowed: new Set(), specialFiles: 'refuse' });
  t.addPackage({ name: 'libc6', version: '1', replaces: [], entries: [e('./usr/', 'directory', 10), e('./usr/lib/', 'directory', 10), e('./usr/lib/libc.so.6', 'file', 10)] });
  t.addPackage({ name: 'libssl3', version: '1', replaces: [], entries: [e('./usr/', 'directory', 20), e('./usr/lib/', 'directory', 20), e('./usr/lib/libssl.so.3', 'file', 20), e('./usr/lib/libssl.alias', 'hardlink', 20, { linkname: './usr/lib/libssl.so.3' })] });
  t.put({ path: '/etc/passwd', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 5, size: 4, content: { kind: 'bytes', bytes: Buffer.from('x:x\n') } });
  t.verify();
  return t;
}

describe('partition', () => {
  it('puts each node in its owner layer and what the definition adds on top, each layer with its parents', () => {
    const layers = partition(tree(), [['libc6'], ['libssl3']]);
    expect(layers.map((l) => l.entries.map((n) => n.path))).toEqual([
      ['/usr', '/usr/lib', '/usr/lib/libc.so.6'],
      ['/usr', '/usr/lib', '/usr/lib/libssl.alias', '/usr/lib/libssl.so.3'],
      ['/etc', '/etc/passwd'],
    ]);
    expect(layers.map((l) => l.packages)).toEqual([['libc6'], ['libssl3'], []]);
  });
  it('gives a parent a layer does not own the layer\'s own newest mtime, so the layer depends on its packages only', () => {
    const [libc, ssl] = partition(tree(), [['libc6'], ['libssl3']]);
    expect(libc?.entries[0]).toMatchObject({ path: '/usr', mtime: 10, owner: 'libc6' });
    expect(ssl?.entries[0]).toMatchObject({ path: '/usr', mtime: 20, mode: 0o755 });
  });
  it('writes a hardlink whose target comes later in the layer as a copy of the target', () => {
    const [, ssl] = partition(tree(), [['libc6'], ['libssl3']]);
    expect(ssl?.entries.find((n) => n.path === '/usr/lib/libssl.alias')).toMatchObject({ type: 'file', content: { kind: 'package', package: 'libssl3', name: './usr/lib/libssl.so.3' } });
  });
  it('fails loudly for a package in no group', () => {
    expect(() => partition(tree(), [['libc6']])).toThrow('libssl3, which is in no layer group');
  });
});
