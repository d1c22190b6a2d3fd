/**
 * Makes a staged layer land on its base the way dpkg would have written it.
 *
 * An OCI layer replaces what is below it path by path: a directory `/lib` in
 * the new layer would replace the base's `/lib -> usr/lib` symlink (merged
 * /usr, as in every dev image) and take the dynamic loader with it. dpkg
 * follows directory symlinks, so the new layer does too: whatever was staged
 * under a path whose parent is a symlink in the base is moved to where the
 * symlink points. Symlink targets are resolved inside the image root (`..`
 * stops at `/`), never on the host.
 *
 * And a directory the layer shares with the base is given the base's owner
 * and mode: the layer's copy of `/tmp` or `/home/nonroot` is what the image
 * will have, and it must stay 1777 or 0700.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BaseFilesystem } from './baseFilesystem';

const MAX_SYMLINK_HOPS = 40;

/** `imagePath` with every parent directory that is a symlink in the base resolved (the last component is kept). */
export function throughBaseSymlinks(imagePath: string, symlinks: Readonly<Record<string, string>>, hops = 0): string {
  if (hops > MAX_SYMLINK_HOPS) throw new Error(`too many levels of symbolic links under ${imagePath} in the base image`);
  const parts = imagePath.split('/').filter(Boolean);
  let current = '/';
  for (let i = 0; i < parts.length - 1; i++) {
    const next = path.posix.join(current, parts[i] as string);
    const link = symlinks[next];
    if (link !== undefined) {
      // Absolute targets start at the image root; relative ones at the link's directory.
      const target = path.posix.resolve(current, link);
      return throughBaseSymlinks(path.posix.join(target, ...parts.slice(i + 1)), symlinks, hops + 1);
    }
    current = next;
  }
  return path.posix.join('/', ...parts);
}

interface Entry {
  imagePath: string;
  hostPath: string;
  stat: fs.Stats;
}

function walk(root: string): Entry[] {
  const out: Entry[] = [];
  const visit = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const childRel = path.posix.join(rel, name);
      const hostPath = path.join(root, childRel);
      const stat = fs.lstatSync(hostPath);
      out.push({ imagePath: '/' + childRel, hostPath, stat });
      if (stat.isDirectory()) visit(childRel);
    }
  };
  visit('');
  return out;
}

export function placeOnBase(root: string, base: BaseFilesystem): { moved: number } {
  let moved = 0;
  const misplacedDirs: Entry[] = [];
  for (const entry of walk(root)) {
    if (entry.stat.isDirectory()) {
      // A directory resolves completely: staged `/lib` on a base with `/lib -> usr/lib` is `/usr/lib`.
      const target = path.posix.dirname(throughBaseSymlinks(path.posix.join(entry.imagePath, '_'), base.symlinks));
      if (target === entry.imagePath) continue;
      misplacedDirs.push(entry);
      ensureDirectory(path.join(root, target), entry.stat);
      continue;
    }
    // A file or symlink keeps its last component: dpkg replaces a symlink it ships a file over.
    const target = throughBaseSymlinks(entry.imagePath, base.symlinks);
    if (target === entry.imagePath) continue;
    const destination = path.join(root, target);
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.rmSync(destination, { force: true, recursive: true });
    fs.renameSync(entry.hostPath, destination);
    moved++;
  }
  // Everything below a misplaced directory was misplaced too and has moved: deepest first, they are empty now.
  for (const dir of misplacedDirs.reverse()) fs.rmSync(dir.hostPath, { recursive: true, force: true });
  for (const entry of walk(root)) {
    const meta = entry.stat.isDirectory() ? base.directories[entry.imagePath] : undefined;
    if (!meta) continue;
    fs.chownSync(entry.hostPath, meta.uid, meta.gid);
    fs.chmodSync(entry.hostPath, meta.mode);
  }
  return { moved };
}

function ensureDirectory(hostPath: string, like: fs.Stats): void {
  if (fs.existsSync(hostPath)) return;
  fs.mkdirSync(hostPath, { recursive: true });
  fs.chownSync(hostPath, like.uid, like.gid);
  fs.chmodSync(hostPath, like.mode & 0o7777);
}
