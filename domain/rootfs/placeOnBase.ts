/**
 * Makes a customization's layer land on its base the way dpkg would have
 * written it, in memory. An OCI layer replaces what is below it path by
 * path: a directory `/lib` in the new layer would replace the base's
 * `/lib -> usr/lib` symlink (merged /usr, as in every dev image) and take
 * the dynamic loader with it. dpkg follows directory symlinks, so the layer
 * does too: every path below a symlink of the base goes where the symlink
 * points, resolved inside the image root (`..` stops at `/`). A directory
 * the layer shares with the base gets the base's owner and mode (/tmp stays
 * 1777, a home stays 0700). Nothing may replace a base directory with a file.
 */
import * as path from 'node:path/posix';
import { TreeError } from './errors';
import { IMAGE_OWNER, ImageTree, type TreeNode } from './tree';

export interface BaseFacts {
  directories: Readonly<Record<string, { mode: number; uid: number; gid: number }>>;
  /** Symlink path -> link target, as written in the base's layers. */
  symlinks: Readonly<Record<string, string>>;
}

const MAX_SYMLINK_HOPS = 40;

/** `imagePath` with every parent directory that is a symlink in the base resolved (the last component is kept). */
export function throughBaseSymlinks(imagePath: string, symlinks: BaseFacts['symlinks'], hops = 0): string {
  if (hops > MAX_SYMLINK_HOPS) throw new Error(`too many levels of symbolic links under ${imagePath} in the base image`);
  const parts = imagePath.split('/').filter(Boolean);
  let current = '/';
  for (let i = 0; i < parts.length - 1; i++) {
    const next = path.join(current, parts[i] as string);
    const link = symlinks[next];
    if (link !== undefined) {
      // Absolute targets start at the image root; relative ones at the link's directory.
      return throughBaseSymlinks(path.join(path.resolve(current, link), ...parts.slice(i + 1)), symlinks, hops + 1);
    }
    current = next;
  }
  return path.join('/', ...parts);
}

/** Where a node of the layer lands on the base: directories resolve completely, other types keep their last component. */
export function landingPath(node: Pick<TreeNode, 'path' | 'type'>, base: BaseFacts): string {
  return node.type === 'directory' ? path.dirname(throughBaseSymlinks(path.join(node.path, '_'), base.symlinks)) : throughBaseSymlinks(node.path, base.symlinks);
}

export function placeOnBase(layer: ImageTree, base: BaseFacts): ImageTree {
  const placed = new ImageTree(layer.rules);
  for (const node of layer.list()) {
    if (node.path === '/') continue;
    const target = landingPath(node, base);
    const baseDir = base.directories[target];
    if (node.type !== 'directory' && baseDir) {
      const by = node.owner === IMAGE_OWNER ? IMAGE_OWNER : `package ${node.owner}`;
      throw new TreeError('PATH_TYPE', `${by} writes ${node.path}${target !== node.path ? ` (${target} on the base)` : ''}, which is a directory in the base image`, node.owner, node.path);
    }
    const existing = placed.get(target);
    if (existing && (existing.type !== 'directory' || node.type !== 'directory')) {
      throw new TreeError('PATH_CONFLICT', `${node.path} and ${existing.path} both land on ${target} in the base image`, node.owner, node.path);
    }
    if (existing) continue;
    for (const ancestor of ancestorsWithin(target)) {
      if (placed.get(ancestor)) continue;
      const meta = base.directories[ancestor] ?? { mode: 0o755, uid: 0, gid: 0 };
      placed.put({ path: ancestor, type: 'directory', ...meta, mtime: node.mtime, size: 0, owner: node.owner });
    }
    const moved = { ...node, path: target, ...(node.type === 'directory' && baseDir ? baseDir : {}) };
    placed.put(moved.type === 'hardlink' ? { ...moved, linkname: landingPath({ path: moved.linkname as string, type: 'file' }, base) } : moved);
  }
  return placed;
}

function ancestorsWithin(p: string): string[] {
  const out: string[] = [];
  for (let dir = path.dirname(p); dir !== '/'; dir = path.dirname(dir)) out.unshift(dir);
  return out;
}
