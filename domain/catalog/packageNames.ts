/**
 * A definition's package names against the archive it is resolved from. An
 * include the archive has no package or provider for is a typo or a package
 * that left Debian; an exclude it has never heard of excludes nothing, which
 * is as much a mistake. Both are the definition's problem, not a transient
 * one: they are reported by field, all at once, before resolving.
 *
 * The resolver's own errors (UNKNOWN_PACKAGE for a dependency the archive
 * lacks, UNSATISFIABLE, CONFLICT) are the same kind of problem for this
 * package set: retrying cannot fix them, a changed definition or archive can.
 */
import type { Release } from '../debian/releases';
import type { ResolveError } from '../debian/resolve';
import type { Definition } from './definition';
import type { Problem } from './validate';

/** What these checks need of a PackageIndex. */
export interface PackageNames {
  versions(name: string): readonly unknown[];
  providers(name: string): readonly unknown[];
}

const known = (index: PackageNames, name: string) => index.versions(name).length > 0 || index.providers(name).length > 0;

/**
 * Every include and exclude the definition asks of one release's archive
 * (top level, variants, `releases.<release>` and its variants) that the
 * archive does not know.
 */
export function packageNameProblems(definition: Definition, release: Release, index: PackageNames, suites: readonly string[]): Problem[] {
  const lists: { field: string; names: readonly string[]; verb: string }[] = [];
  const add = (field: string, packages: { include: readonly string[]; exclude: readonly string[] } | undefined) => {
    lists.push(
      { field: `${field}.include`, names: packages?.include ?? [], verb: 'no package or provider named' },
      { field: `${field}.exclude`, names: packages?.exclude ?? [], verb: 'excludes nothing: no package or provider named' },
    );
  };
  add('packages', definition.packages);
  for (const [variant, override] of Object.entries(definition.variants)) add(`variants.${variant}.packages`, override?.packages);
  const releaseOverride = definition.releases[release];
  add(`releases.${release}.packages`, releaseOverride?.packages);
  for (const [variant, override] of Object.entries(releaseOverride?.variants ?? {})) add(`releases.${release}.variants.${variant}.packages`, override?.packages);
  const where = suites.length > 0 ? ` in ${suites.join(', ')}` : '';
  return lists.flatMap(({ field, names, verb }) =>
    names.flatMap((name, i) => (known(index, name) ? [] : [{ field: `${field}[${i}]`, problem: `${verb} "${name}"${where}` }])),
  );
}

/** A resolver failure for this definition's package set, as the definition's problem. */
export function resolveErrorProblems(error: ResolveError): Problem[] {
  return [{ field: 'packages', problem: `cannot be resolved (${error.code}): ${error.message}` }];
}
