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
import type { ResolveError } from '../debian/resolve';
import type { Definition } from './definition';
import type { Problem } from './validate';

/** What these checks need of a PackageIndex. */
export interface PackageNames {
  versions(name: string): readonly unknown[];
  providers(name: string): readonly unknown[];
}

const known = (index: PackageNames, name: string) => index.versions(name).length > 0 || index.providers(name).length > 0;

/** Every include and exclude of the definition (top level and variants) the archive does not know. */
export function packageNameProblems(definition: Definition, index: PackageNames, suites: readonly string[]): Problem[] {
  const lists: { field: string; names: readonly string[]; verb: string }[] = [
    { field: 'packages.include', names: definition.packages.include, verb: 'no package or provider named' },
    { field: 'packages.exclude', names: definition.packages.exclude, verb: 'excludes nothing: no package or provider named' },
  ];
  for (const [variant, override] of Object.entries(definition.variants)) {
    lists.push(
      { field: `variants.${variant}.packages.include`, names: override?.packages?.include ?? [], verb: 'no package or provider named' },
      { field: `variants.${variant}.packages.exclude`, names: override?.packages?.exclude ?? [], verb: 'excludes nothing: no package or provider named' },
    );
  }
  const where = suites.length > 0 ? ` in ${suites.join(', ')}` : '';
  return lists.flatMap(({ field, names, verb }) =>
    names.flatMap((name, i) => (known(index, name) ? [] : [{ field: `${field}[${i}]`, problem: `${verb} "${name}"${where}` }])),
  );
}

/** A resolver failure for this definition's package set, as the definition's problem. */
export function resolveErrorProblems(error: ResolveError): Problem[] {
  return [{ field: 'packages', problem: `cannot be resolved (${error.code}): ${error.message}` }];
}
