/** Applies a definition's `paths` (directories, files, symlinks) to a root filesystem. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveGid, resolveUid } from '../../../domain/catalog/accounts';
import type { PathEntry } from '../../../domain/catalog/definition';
import type { Accounts } from './accounts';

/**
 * Joins an image path to the root, refusing anything that would land outside
 * it, including through a symlink already in the tree (a package could ship
 * `/etc/x -> /etc` and a definition then write through it onto the host).
 */
export function insideRoot(rootfs: string, imagePath: string): string {
  const root = path.resolve(rootfs);
  const target = path.resolve(root, '.' + path.posix.normalize('/' + imagePath));
  if (target !== root && !target.startsWith(root + path.sep)) throw new Error(`path ${imagePath} escapes the image root`);
  let dir = path.dirname(target);
  while (dir.startsWith(root + path.sep)) {
    const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) throw new Error(`path ${imagePath} goes through the symlink ${path.relative(root, dir)}: write to its target instead`);
    dir = path.dirname(dir);
  }
  return target;
}

export function applyPaths(rootfs: string, entries: readonly PathEntry[], accounts: Accounts): void {
  for (const entry of entries) {
    const target = insideRoot(rootfs, entry.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (entry.type === 'symlink') {
      fs.rmSync(target, { force: true, recursive: true });
      fs.symlinkSync(entry.target, target);
      continue;
    }
    if (entry.type === 'directory') fs.mkdirSync(target, { recursive: true });
    else fs.writeFileSync(target, entry.content);
    const uid = resolveUid(entry.owner, accounts.users);
    const gid = entry.group === undefined ? (accounts.users.find((u) => u.uid === uid)?.gid ?? uid) : resolveGid(entry.group, accounts.groups);
    fs.chownSync(target, uid, gid);
    fs.chmodSync(target, parseInt(entry.mode, 8));
  }
}
