/**
 * Several package indexes (one per Packages file) seen as one, merged name by
 * name when asked. Parsing bookworm's main index costs 600 ms and indexing a
 * whole release 70 ms; when one suite's InRelease changes (a security update,
 * a point release, a local repository) the archive loader keeps the other
 * files' indexes and builds only the changed ones, and this merge costs
 * nothing until a name is looked up. Same answers as one PackageIndex of
 * every package: the same newest-first and by-name orders.
 */
import { type BinaryPackage, compareText, newestFirst, PackageIndex } from './packages';

export class MergedPackageIndex extends PackageIndex {
  private readonly mergedVersions = new Map<string, readonly BinaryPackage[]>();
  private readonly mergedProviders = new Map<string, readonly BinaryPackage[]>();
  private allNames: string[] | undefined;

  constructor(private readonly parts: readonly PackageIndex[]) {
    super([]);
  }

  override names(): string[] {
    this.allNames ??= [...new Set(this.parts.flatMap((part) => part.names()))].sort(compareText);
    return [...this.allNames];
  }

  override versions(name: string): readonly BinaryPackage[] {
    return merged(this.mergedVersions, name, () => this.parts.map((part) => part.versions(name)), newestFirst);
  }

  override providers(virtualName: string): readonly BinaryPackage[] {
    const byNameThenNewest = (a: BinaryPackage, b: BinaryPackage) => compareText(a.name, b.name) || newestFirst(a, b);
    return merged(this.mergedProviders, virtualName, () => this.parts.map((part) => part.providers(virtualName)), byNameThenNewest);
  }

  override essentialCandidates(): ReadonlySet<string> {
    return new Set(this.parts.flatMap((part) => [...part.essentialCandidates()]));
  }

  override sources(): Set<string> {
    return new Set(this.parts.flatMap((part) => [...part.sources()]));
  }
}

/** The parts' lists as one, sorted: a single non-empty list is returned as it is (already in order). */
function merged(
  memo: Map<string, readonly BinaryPackage[]>,
  key: string,
  lists: () => readonly (readonly BinaryPackage[])[],
  order: (a: BinaryPackage, b: BinaryPackage) => number,
): readonly BinaryPackage[] {
  const known = memo.get(key);
  if (known) return known;
  const nonEmpty = lists().filter((list) => list.length > 0);
  const result = nonEmpty.length === 1 ? (nonEmpty[0] as readonly BinaryPackage[]) : nonEmpty.flat().sort(order);
  memo.set(key, result);
  return result;
}
