/**
 * Where the bytes of a tree's files come from while a build runs: the
 * packages' data.tar (each package read once, for the names wanted), bytes
 * the builder wrote, and derivations (the CA bundle, Python bytecode)
 * computed only when a layer that holds them is written. Each file also has
 * an identity that names its bytes without reading them, which is what a
 * layer's cache key is made of.
 */
import { createHash } from 'node:crypto';
import type { TreeNode } from '../../domain/rootfs/tree';
import { type BuildPackage, packageContents } from './packages';

export class ContentSource {
  private readonly loaded = new Map<string, Map<string, Buffer>>();
  private readonly derivations = new Map<string, () => Promise<Buffer>>();
  private readonly derived = new Map<string, Buffer>();

  constructor(private readonly packages: ReadonlyMap<string, BuildPackage>) {}

  /** Registers how to compute derived content `id` (called at most once, when needed). */
  derive(id: string, produce: () => Promise<Buffer>): void {
    this.derivations.set(id, produce);
  }

  /** What names a file's bytes: its package's sha256 and entry name, a hash of written bytes, or a derivation id. */
  identity(node: TreeNode): string {
    const c = node.content;
    if (!c) return '';
    if (c.kind === 'package') return `${c.package}@${this.packageOf(c.package).locked.sha256}:${c.name}`;
    if (c.kind === 'bytes') return `sha256:${createHash('sha256').update(c.bytes).digest('hex')}`;
    return c.id;
  }

  /** Makes the bytes of `nodes` available to bytes(): each package read once, derivations run once. */
  async load(nodes: readonly TreeNode[]): Promise<void> {
    const wanted = new Map<string, Set<string>>();
    const derivations: string[] = [];
    for (const node of nodes) {
      const c = node.content;
      if (c?.kind === 'package' && !this.loaded.get(c.package)?.has(c.name)) {
        const names = wanted.get(c.package) ?? new Set<string>();
        names.add(c.name);
        wanted.set(c.package, names);
      } else if (c?.kind === 'derived' && !this.derived.has(c.id)) derivations.push(c.id);
    }
    await Promise.all(
      [...wanted].map(async ([name, names]) => {
        const bytes = await packageContents(this.packageOf(name), names);
        const into = this.loaded.get(name) ?? new Map<string, Buffer>();
        for (const [k, v] of bytes) into.set(k, v);
        this.loaded.set(name, into);
      }),
    );
    for (const id of new Set(derivations)) {
      const produce = this.derivations.get(id);
      if (!produce) throw new Error(`no derivation registered for ${id}`);
      this.derived.set(id, await produce());
    }
  }

  /** The bytes of a file node; load() must have seen it. */
  bytes(node: TreeNode): Buffer {
    const c = node.content;
    if (!c) throw new Error(`${node.path} has no content`);
    if (c.kind === 'bytes') return c.bytes;
    const bytes = c.kind === 'package' ? this.loaded.get(c.package)?.get(c.name) : this.derived.get(c.id);
    if (!bytes) throw new Error(`the bytes of ${node.path} (${this.identity(node)}) were not loaded`);
    return bytes;
  }

  private packageOf(name: string): BuildPackage {
    const pkg = this.packages.get(name);
    if (!pkg) throw new Error(`no package ${name} in this build`);
    return pkg;
  }
}
