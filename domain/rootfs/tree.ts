/**
 * The one place that decides every entry of an image's root filesystem. A
 * package's data.tar entries (read as streams, never unpacked), the files
 * the builder writes (dpkg metadata, accounts, the CA bundle) and the
 * definition's paths all go through here, in memory; nothing is written to
 * the host. The rules, each with its test in tree.test.ts:
 *
 *  - names are normalized (names.ts); an absolute name, `..`, or an empty
 *    or `.` segment is refused;
 *  - no entry may sit below a symlink, from any package, earlier or later:
 *    extracting it would follow the link (the classic `usr/lib/x -> /etc`
 *    then `usr/lib/x/file` escape). Checked once every package is in;
 *  - a hardlink must name a regular file already in the tree;
 *  - device nodes, FIFOs and sockets are refused (runtime) or left out (dev,
 *    where the engine provides /dev);
 *  - setuid and setgid bits are cleared in runtime images, except on paths
 *    the definition allows;
 *  - two packages shipping one non-directory path: the one whose Replaces
 *    names the other (at its version) wins, as dpkg decides; otherwise the
 *    build stops naming both. A directory shipped twice keeps the first
 *    package's metadata.
 */
import type { Relation } from '../debian/relations';
import { satisfies } from '../debian/version';
import { TreeError } from './errors';
import { ancestorsOf, comparePaths, imagePathOf } from './names';
import type { RawEntry } from './rawEntry';

export type NodeType = 'directory' | 'file' | 'symlink' | 'hardlink';

/** Where a file's bytes come from: its package's data.tar (by raw name), the builder, or a derivation computed when needed. */
export type Content = { kind: 'package'; package: string; name: string } | { kind: 'bytes'; bytes: Buffer } | { kind: 'derived'; id: string };

export interface TreeNode {
  path: string;
  type: NodeType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  /** symlink: the target as written; hardlink: the target's image path. */
  linkname?: string;
  /** The package that shipped it, or IMAGE_OWNER for what the builder and the definition add. */
  owner: string;
  content?: Content;
}

export const IMAGE_OWNER = 'the definition';

/**
 * The mtime of what the builder and the definition write (accounts, paths,
 * the directories they need). Not SOURCE_DATE_EPOCH: that moves whenever the
 * package set does, and the top layer would then change with every patch of
 * any package.
 */
export const GENERATED_MTIME = 0;

export interface PackageEntries {
  name: string;
  version: string;
  replaces: readonly Relation[];
  entries: readonly RawEntry[];
}

export interface TreeRules {
  /** Runtime images: setuid/setgid bits are cleared except on these paths. Absent: bits are kept (dev). */
  setidAllowed?: ReadonlySet<string>;
  specialFiles: 'refuse' | 'skip';
}

const SETID = 0o6000;

export class ImageTree {
  private readonly nodes = new Map<string, TreeNode>();
  private readonly versions = new Map<string, string>();
  private readonly replaces = new Map<string, readonly Relation[]>();

  constructor(
    readonly rules: TreeRules,
    rootMtime = 0,
  ) {
    this.nodes.set('/', { path: '/', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: rootMtime, size: 0, owner: IMAGE_OWNER });
  }

  get(p: string): TreeNode | undefined {
    return this.nodes.get(p);
  }

  /** Every node, parents before children. */
  list(): TreeNode[] {
    return [...this.nodes.values()].sort((a, b) => comparePaths(a.path, b.path));
  }

  get size(): number {
    return this.nodes.size;
  }

  /**
   * Adds one package's entries under the rules; `verify()` checks the
   * cross-package rules once all are in. A file's content is its package's
   * entry unless `contentOf` says otherwise (a dev tree read with its bytes).
   */
  addPackage(pkg: PackageEntries, contentOf?: (entry: RawEntry) => Content): void {
    this.versions.set(pkg.name, pkg.version);
    this.replaces.set(pkg.name, pkg.replaces);
    for (const entry of pkg.entries) {
      const named = imagePathOf(entry.name);
      if (!named.ok) throw new TreeError('NAME_INVALID', `package ${pkg.name} ships ${JSON.stringify(entry.name.slice(0, 200))}, which ${named.problem}`, pkg.name, entry.name);
      const path = named.path;
      if (path === '/') continue;
      const node = this.nodeOf(pkg.name, path, entry);
      if (node?.type === 'file' && contentOf) node.content = contentOf(entry);
      if (node) this.place(node);
    }
  }

  private nodeOf(owner: string, path: string, entry: RawEntry): TreeNode | undefined {
    const base = { path, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, size: 0, owner };
    switch (entry.type) {
      case 'directory':
        return { ...base, type: 'directory' };
      case 'symlink':
        if (!entry.linkname) throw new TreeError('NAME_INVALID', `package ${owner} ships the symlink ${path} without a target`, owner, path);
        return { ...base, type: 'symlink', mode: 0o777, linkname: entry.linkname };
      case 'file':
        return { ...base, type: 'file', mode: this.setidChecked(path, entry.mode), size: entry.size, content: { kind: 'package', package: owner, name: entry.name } };
      case 'hardlink': {
        const target = imagePathOf(entry.linkname ?? '');
        if (!target.ok) throw new TreeError('NAME_INVALID', `package ${owner} ships the hardlink ${path} to ${JSON.stringify(entry.linkname)}, which ${target.problem}`, owner, path);
        const existing = this.nodes.get(target.path);
        if (existing?.type !== 'file') {
          throw new TreeError('HARDLINK_TARGET', `package ${owner} ships the hardlink ${path} to ${target.path}, which is ${existing ? `a ${existing.type}` : 'not'} a regular file earlier in the image`, owner, path);
        }
        return { ...base, type: 'hardlink', mode: existing.mode, size: existing.size, linkname: target.path };
      }
      default:
        if (this.rules.specialFiles === 'skip') return undefined;
        throw new TreeError('SPECIAL_FILE', `package ${owner} ships ${path}, a ${entry.type}: runtime images hold no device nodes, FIFOs or sockets`, owner, path);
    }
  }

  private setidChecked(path: string, mode: number): number {
    if (!(mode & SETID) || !this.rules.setidAllowed || this.rules.setidAllowed.has(path)) return mode;
    return mode & ~SETID;
  }

  private place(node: TreeNode): void {
    const existing = this.nodes.get(node.path);
    if (!existing) {
      this.nodes.set(node.path, node);
      return;
    }
    if (existing.type === 'directory' && node.type === 'directory') return;
    if (existing.owner === node.owner) {
      // One package shipping a path twice: tar semantics, the later entry wins.
      this.removeBelow(node.path);
      this.nodes.set(node.path, node);
      return;
    }
    if (this.doesReplace(node.owner, existing.owner)) {
      this.removeBelow(node.path);
      this.nodes.set(node.path, node);
      return;
    }
    if (this.doesReplace(existing.owner, node.owner)) return;
    throw new TreeError(
      'PATH_CONFLICT',
      `packages ${existing.owner} and ${node.owner} both ship ${node.path} (${existing.type} and ${node.type}) and neither Replaces the other`,
      node.owner,
      node.path,
    );
  }

  /** dpkg's rule: `a` Replaces `b` when a Replaces relation of `a` names `b` and `b`'s version satisfies it. */
  private doesReplace(a: string, b: string): boolean {
    const version = this.versions.get(b);
    return (this.replaces.get(a) ?? []).some((r) => r.name === b && (!r.relation || !r.version || (version !== undefined && satisfies(version, r.relation, r.version))));
  }

  private removeBelow(p: string): void {
    const prefix = `${p}/`;
    for (const key of [...this.nodes.keys()]) if (key.startsWith(prefix)) this.nodes.delete(key);
  }

  /**
   * The rules that need every package in: no entry below a symlink or a
   * file, every hardlink still naming a regular file. A missing parent
   * directory is created (0755 root, owned like the entry), as dpkg would.
   */
  verify(): void {
    for (const node of this.list()) {
      for (const ancestor of ancestorsOf(node.path)) {
        const parent = this.nodes.get(ancestor);
        if (!parent) {
          this.nodes.set(ancestor, { path: ancestor, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: node.mtime, size: 0, owner: node.owner });
          continue;
        }
        if (parent.type === 'directory') continue;
        const by = parent.owner === IMAGE_OWNER ? IMAGE_OWNER : `package ${parent.owner}`;
        const code = parent.type === 'symlink' ? 'THROUGH_SYMLINK' : 'PARENT_NOT_DIRECTORY';
        const what = parent.type === 'symlink' ? `the symlink ${ancestor} -> ${parent.linkname} (shipped by ${by})` : `${ancestor}, a ${parent.type} shipped by ${by}`;
        throw new TreeError(code, `${node.owner === IMAGE_OWNER ? IMAGE_OWNER : `package ${node.owner}`} ships ${node.path}, which passes through ${what}: refused, writing it would follow the link`, node.owner, node.path);
      }
      if (node.type === 'hardlink' && this.nodes.get(node.linkname as string)?.type !== 'file') {
        throw new TreeError('HARDLINK_TARGET', `package ${node.owner} ships the hardlink ${node.path} to ${node.linkname}, which is not a regular file in the image`, node.owner, node.path);
      }
    }
  }

  /**
   * Adds or replaces what the builder or the definition writes. Its parents
   * must be directories (missing ones are created 0755 root, owned by the
   * definition, with GENERATED_MTIME); it never goes
   * through a symlink and never replaces a directory.
   */
  put(node: Omit<TreeNode, 'owner'> & { owner?: string }): void {
    const owner = node.owner ?? IMAGE_OWNER;
    for (const ancestor of ancestorsOf(node.path)) {
      const parent = this.nodes.get(ancestor);
      if (!parent) {
        // The builder's own directories belong to no package: the top layer has them, every layer stays its packages' own.
        this.nodes.set(ancestor, { path: ancestor, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: GENERATED_MTIME, size: 0, owner: IMAGE_OWNER });
      } else if (parent.type !== 'directory') {
        throw new TreeError('PATH_TYPE', `${node.path} would be written through ${ancestor}, a ${parent.type}${parent.linkname ? ` -> ${parent.linkname}` : ''} shipped by ${parent.owner === IMAGE_OWNER ? IMAGE_OWNER : `package ${parent.owner}`}`, owner, node.path);
      }
    }
    const existing = this.nodes.get(node.path);
    if (existing?.type === 'directory' && node.type !== 'directory') {
      throw new TreeError('PATH_TYPE', `${node.path} is a directory shipped by ${existing.owner === IMAGE_OWNER ? IMAGE_OWNER : `package ${existing.owner}`}; it cannot become a ${node.type}`, owner, node.path);
    }
    if (existing && existing.type !== 'directory' && node.type === 'directory') {
      throw new TreeError('PATH_TYPE', `${node.path} is a ${existing.type} shipped by ${existing.owner === IMAGE_OWNER ? IMAGE_OWNER : `package ${existing.owner}`}; it cannot become a directory`, owner, node.path);
    }
    this.nodes.set(node.path, { ...node, owner });
  }

  /** Changes a directory's mode and owner in place (the definition's `paths`). */
  setDirectory(p: string, meta: { mode: number; uid: number; gid: number }): void {
    const existing = this.nodes.get(p);
    if (existing?.type !== 'directory') throw new Error(`setDirectory: ${p} is not a directory`);
    this.nodes.set(p, { ...existing, ...meta });
  }

  /** Removes a path and, for a directory, everything below it. */
  remove(p: string): void {
    if (p === '/') throw new Error('the root cannot be removed');
    this.nodes.delete(p);
    this.removeBelow(p);
  }

  /** The nodes directly inside a directory. */
  children(dir: string): TreeNode[] {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    return [...this.nodes.values()].filter((n) => n.path.startsWith(prefix) && n.path !== dir && !n.path.slice(prefix.length).includes('/'));
  }
}
