import * as fs from 'node:fs';
import { TreeError } from './errors';
import { checkRuntimeContent, checkRuntimeNames } from './runtimePolicy';
import { ImageTree, type TreeNode } from './tree';

const node = (p: string, extra: Partial<TreeNode> = {}): TreeNode => ({ path: p, type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 1, owner: 'somepkg', ...extra });

function treeOf(...nodes: TreeNode[]): ImageTree {
  const tree = new ImageTree({ setidAllowed: new Set(), specialFiles: 'refuse' });
  for (const n of nodes) tree.put(n);
  return tree;
}

const refusal = (run: () => void): string => {
  try {
    run();
  } catch (err) {
    if (err instanceof TreeError && err.code === 'RUNTIME_POLICY') return err.message;
    throw err;
  }
  return 'passed';
};

describe('by name and mode, the whole tree', () => {
  it('refuses a shell or package manager by name anywhere, as a file, a symlink or a hardlink (busybox applet links)', () => {
    expect(refusal(() => checkRuntimeNames(treeOf(node('/usr/local/bin/sh', { type: 'symlink', linkname: 'busybox', mode: 0o777 })), new Set()))).toBe('package somepkg puts /usr/local/bin/sh in a runtime image: sh is a shell or a package manager by name');
    expect(refusal(() => checkRuntimeNames(treeOf(node('/opt/tools/apt-get')), new Set()))).toContain('apt-get is a shell or a package manager by name');
    // A data file that happens to be called `sh` is not a program.
    expect(refusal(() => checkRuntimeNames(treeOf(node('/usr/share/completions/sh', { mode: 0o644 })), new Set()))).toBe('passed');
  });
  it('refuses a setuid or setgid file unless allowed, and world-writable files outside /tmp', () => {
    expect(refusal(() => checkRuntimeNames(treeOf(node('/usr/bin/mount', { mode: 0o4755 })), new Set()))).toContain('a setuid or setgid file the definition does not allow');
    expect(refusal(() => checkRuntimeNames(treeOf(node('/usr/bin/mount', { mode: 0o4755 })), new Set(['/usr/bin/mount'])))).toBe('passed');
    expect(refusal(() => checkRuntimeNames(treeOf(node('/etc/app.conf', { mode: 0o666 })), new Set()))).toContain('world-writable (mode 666) outside /tmp');
    expect(refusal(() => checkRuntimeNames(treeOf(node('/srv/drop', { type: 'directory', mode: 0o777, size: 0 })), new Set()))).toContain('world-writable (mode 777)');
    // /var/tmp 1777 (sticky) and anything under /tmp are the shared-temp forms.
    expect(refusal(() => checkRuntimeNames(treeOf(node('/var/tmp', { type: 'directory', mode: 0o1777, size: 0 }), node('/tmp/x', { mode: 0o666 })), new Set()))).toBe('passed');
  });
});

describe('by content, each ELF file', () => {
  const busybox = fs.readFileSync('/bin/busybox');
  it('refuses busybox and dash whatever they are called', () => {
    expect(refusal(() => checkRuntimeContent(node('/usr/lib/x86_64-linux-gnu/libtotallyfine.so'), busybox))).toBe('package somepkg puts /usr/lib/x86_64-linux-gnu/libtotallyfine.so in a runtime image: an ELF file that is BusyBox (a shell and its applets) by content');
    expect(refusal(() => checkRuntimeContent(node('/usr/bin/helper'), fs.readFileSync('/usr/bin/dash')))).toContain('a POSIX shell (dash) by content');
    expect(refusal(() => checkRuntimeContent(node('/usr/bin/x'), fs.readFileSync('/usr/bin/apt-get')))).toContain('an apt program (links libapt-pkg) by content');
  });
  it('leaves other programs and non-ELF files alone', () => {
    expect(refusal(() => checkRuntimeContent(node('/usr/bin/ls'), fs.readFileSync('/usr/bin/ls')))).toBe('passed');
    expect(refusal(() => checkRuntimeContent(node('/usr/share/doc/README'), Buffer.from('BusyBox v1.35 notes')))).toBe('passed');
  });
});
