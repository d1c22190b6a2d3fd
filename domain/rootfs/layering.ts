/**
 * Which packages share a layer: apko's `origin` strategy (chainguard-dev/apko
 * pkg/build/layers.go, docs/layering.md), with Debian's source package as
 * the origin. Packages built from one source change together (a libssl3
 * patch is an openssl patch), so they share a layer; a package and one it
 * Replaces share a layer, so no layer order decides who owns a path. Groups
 * are ranked by installed size; the largest `budget - 1` get a layer each
 * and the rest share one. What the definition adds (accounts, the
 * definition's paths, dpkg's status.d directory) is one more layer on top.
 *
 * A patch of one source package therefore changes one package layer, and
 * the grouping itself only changes when the package set or the ranking
 * does. The same lock always gives the same groups in the same order.
 */
export interface LayeredPackage {
  name: string;
  source: string;
  /** Installed-Size, in KiB. */
  installedSize: number;
  /** Package names this one Replaces (only those in the image matter). */
  replaces: readonly string[];
}

export interface PackageGroup {
  packages: string[];
  /** Sum of installed sizes, KiB. */
  size: number;
}

/** One group per source package (merged across Replaces), ranked, within `budget` groups. */
export function groupByOrigin(packages: readonly LayeredPackage[], budget: number): PackageGroup[] {
  if (!Number.isInteger(budget) || budget < 1) throw new Error(`layering budget must be a positive integer, not ${budget}`);
  // Union-find over package names: same source, or one Replaces the other.
  const parent = new Map<string, string>(packages.map((p) => [p.name, p.name]));
  const find = (n: string): string => {
    const up = parent.get(n) as string;
    if (up === n) return n;
    const root = find(up);
    parent.set(n, root);
    return root;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  const bySource = new Map<string, string>();
  for (const p of packages) {
    const first = bySource.get(p.source);
    if (first) union(first, p.name);
    else bySource.set(p.source, p.name);
  }
  for (const p of packages) for (const r of p.replaces) if (parent.has(r)) union(p.name, r);

  const groups = new Map<string, PackageGroup>();
  for (const p of packages) {
    const root = find(p.name);
    const g = groups.get(root) ?? { packages: [], size: 0 };
    g.packages.push(p.name);
    g.size += p.installedSize;
    groups.set(root, g);
  }
  const ranked = [...groups.values()].map((g) => ({ ...g, packages: g.packages.sort() }));
  // Largest first; equal sizes by their last package name, as apko breaks ties.
  const tiebreak = (g: PackageGroup) => g.packages[g.packages.length - 1] as string;
  ranked.sort((a, b) => b.size - a.size || (tiebreak(a) < tiebreak(b) ? -1 : tiebreak(a) > tiebreak(b) ? 1 : 0));
  if (ranked.length <= budget) return ranked;
  const kept = ranked.slice(0, budget - 1);
  const rest = ranked.slice(budget - 1);
  return [...kept, { packages: rest.flatMap((g) => g.packages).sort(), size: rest.reduce((n, g) => n + g.size, 0) }];
}
