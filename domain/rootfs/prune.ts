/**
 * The definition's prune list on an image tree, in memory: `*` matches
 * within one path segment, and matching only descends real directories, so
 * a symlinked directory (`/usr/share/doc/x -> ../y`) is never followed and
 * nothing outside the tree is ever touched.
 */
import type { ImageTree } from './tree';

function segmentPattern(segment: string): RegExp {
  return new RegExp(`^${segment.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

export function pruneTree(tree: ImageTree, patterns: readonly string[]): number {
  let removed = 0;
  for (const pattern of patterns) {
    let matches = ['/'];
    for (const segment of pattern.split('/').filter(Boolean)) {
      const re = segment.includes('*') ? segmentPattern(segment) : undefined;
      matches = matches.flatMap((dir) => {
        if (tree.get(dir)?.type !== 'directory') return [];
        if (!re) {
          const child = dir === '/' ? `/${segment}` : `${dir}/${segment}`;
          return tree.get(child) ? [child] : [];
        }
        return tree.children(dir).filter((n) => re.test(n.path.slice(n.path.lastIndexOf('/') + 1))).map((n) => n.path);
      });
    }
    for (const match of matches) {
      if (match === '/' || !tree.get(match)) continue;
      tree.remove(match);
      removed++;
    }
  }
  return removed;
}
