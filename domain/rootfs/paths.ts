/**
 * The definition's `paths` (directories, files, symlinks) and its accounts'
 * home directories, applied to the image tree in memory. A path never goes
 * through a symlink a package shipped (ImageTree.put refuses it, naming the
 * package), and a path of another type than the package's is refused rather
 * than forced: the definition and the package disagree, and a person decides.
 */
import { resolveGid, resolveUid } from '../catalog/accounts';
import type { PathEntry } from '../catalog/definition';
import type { GroupEntry, PasswdEntry } from '../catalog/accounts';
import { TreeError } from './errors';
import { IMAGE_OWNER, type ImageTree } from './tree';

export interface Accounts {
  users: PasswdEntry[];
  groups: GroupEntry[];
}

export function applyPaths(tree: ImageTree, entries: readonly PathEntry[], accounts: Accounts, mtime: number): void {
  for (const entry of entries) {
    if (entry.type === 'symlink') {
      const existing = tree.get(entry.path);
      if (existing?.type === 'directory') throw new TreeError('PATH_TYPE', `paths: ${entry.path} is a directory shipped by package ${existing.owner}; it cannot become a symlink`, IMAGE_OWNER, entry.path);
      if (existing) tree.remove(entry.path);
      tree.put({ path: entry.path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime, size: 0, linkname: entry.target });
      continue;
    }
    const uid = resolveUid(entry.owner, accounts.users);
    const gid = entry.group === undefined ? (accounts.users.find((u) => u.uid === uid)?.gid ?? uid) : resolveGid(entry.group, accounts.groups);
    const mode = parseInt(entry.mode, 8);
    const existing = tree.get(entry.path);
    if (entry.type === 'directory' && existing?.type === 'directory') {
      tree.setDirectory(entry.path, { mode, uid, gid });
      continue;
    }
    if (entry.type === 'directory') {
      tree.put({ path: entry.path, type: 'directory', mode, uid, gid, mtime, size: 0 });
      continue;
    }
    const bytes = Buffer.from(entry.content);
    if (existing && existing.type !== 'file') {
      throw new TreeError('PATH_TYPE', `paths: ${entry.path} is a ${existing.type} shipped by package ${existing.owner}; the definition cannot write a file there`, IMAGE_OWNER, entry.path);
    }
    tree.put({ path: entry.path, type: 'file', mode, uid, gid, mtime, size: bytes.length, content: { kind: 'bytes', bytes } });
  }
}

/** Home directories of the definition's users that the tree does not have yet: 0700, owned by the user. */
export function addHomes(tree: ImageTree, users: readonly { uid: number; gid: number; home?: string }[], mtime: number): void {
  for (const user of users) {
    if (!user.home || tree.get(user.home)) continue;
    tree.put({ path: user.home, type: 'directory', mode: 0o700, uid: user.uid, gid: user.gid, mtime, size: 0 });
  }
}
