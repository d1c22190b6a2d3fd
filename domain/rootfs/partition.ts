/**
 * Splits one verified image tree into layers (apko pkg/build/layers.go
 * splitLayers): every node goes to the layer of the package that owns it,
 * what the definition adds goes to the top layer, and each layer also
 * carries the parent directories of what it holds, so it unpacks on its own.
 *
 * A layer's bytes must depend on its own packages only, or a patch of one
 * package would change every layer: a parent directory a layer carries but
 * does not own takes its mode and owner from the tree (they never differ
 * between patches) and the layer's own newest mtime instead of the owner's
 * (apko does the same, "synthesize timestamps"). The owning layer carries the
 * directory's real metadata.
 */
import { ancestorsOf, comparePaths } from './names';
import { IMAGE_OWNER, type ImageTree, type TreeNode } from './tree';

export interface LayerContent {
  /** Packages whose files this layer holds (empty for the top layer). */
  packages: string[];
  /** Tar entries in order: parents before children. Hardlinks only to a file earlier in this layer. */
  entries: TreeNode[];
}

/**
 * `groups[i]` are the packages of layer i; the top layer (what the
 * definition adds) comes last, or, with `single`, everything is one layer.
 */
export function partition(tree: ImageTree, groups: readonly (readonly string[])[], options: { single?: boolean } = {}): LayerContent[] {
  const layerOf = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((name) => layerOf.set(name, options.single ? 0 : i)));
  if (options.single) {
    const all = tree.list().filter((n) => n.path !== '/');
    return [{ packages: groups.flat(), entries: withParents(tree, all) }];
  }
  const top = groups.length;
  const own: TreeNode[][] = Array.from({ length: top + 1 }, () => []);
  for (const node of tree.list()) {
    if (node.path === '/') continue;
    const index = node.owner === IMAGE_OWNER ? top : layerOf.get(node.owner);
    if (index === undefined) throw new Error(`partition: ${node.path} belongs to package ${node.owner}, which is in no layer group`);
    (own[index] as TreeNode[]).push(node);
  }
  return own.map((nodes, i) => ({ packages: i < top ? [...(groups[i] as string[])] : [], entries: withParents(tree, nodes) }));
}

function withParents(tree: ImageTree, nodes: TreeNode[]): TreeNode[] {
  const mine = new Map(nodes.map((n) => [n.path, n]));
  const newest = nodes.reduce((m, n) => Math.max(m, n.mtime), 0);
  const entries = new Map(mine);
  for (const node of nodes) {
    for (const ancestor of ancestorsOf(node.path)) {
      if (ancestor === '/' || entries.has(ancestor)) continue;
      const dir = tree.get(ancestor) as TreeNode;
      entries.set(ancestor, { ...dir, mtime: newest });
    }
  }
  const sorted = [...entries.values()].sort((a, b) => comparePaths(a.path, b.path));
  // A tar hardlink must follow its target in the same archive: otherwise the layer carries a copy.
  const seen = new Set<string>();
  return sorted.map((n) => {
    seen.add(n.path);
    if (n.type !== 'hardlink' || (mine.has(n.linkname as string) && seen.has(n.linkname as string))) return n;
    const target = tree.get(n.linkname as string) as TreeNode;
    const { linkname: _, ...rest } = n;
    return { ...rest, type: 'file', mode: target.mode, size: target.size, content: target.content };
  });
}
