/**
 * The dependency closure of an image's package list: which exact packages
 * go into the root filesystem.
 *
 * Not apt's resolver: there is no installed system to respect, Recommends
 * and Suggests are never followed, and a runtime image may exclude packages
 * (dpkg, perl-base, debconf) whose presence the archive otherwise assumes.
 * The rules, applied in this order for each dependency (an OR-group):
 *
 * 1. A group is satisfied if one alternative names an excluded package, or
 *    one virtual name an excluded package provides: excluding means "treat
 *    as present".
 * 2. Otherwise an alternative a chosen package already satisfies wins:
 *    `gawk | mawk` takes mawk when mawk is already in.
 * 3. Otherwise the first alternative that can be satisfied, by a real
 *    package of that name, else by the provider whose name sorts first.
 *
 * Each name gets the newest version allowed by every constraint recorded
 * for it when its turn comes (breadth-first), so sibling constraints narrow
 * the choice before it is made. A constraint arriving after the choice is
 * only checked: if it excludes the chosen version resolution fails with a
 * ConflictError naming both sides, instead of backtracking. Essential
 * packages are not added unless something depends on them.
 *
 * Deterministic: requests are processed in sorted order and PackageIndex
 * orders versions and providers itself, so neither the order of `include`
 * nor the order the indexes were read in changes the result.
 */
import type { Architecture } from '../platform';
import type { BinaryPackage, PackageIndex } from './packages';
import { formatRelation, isPackageName, type Relation } from './relations';
import { isValidVersion, satisfies } from './version';
import { TemperedError } from '../errors';

export interface ResolveRequest {
  /** `name`, or `name=version` to pin that version (Debian equality: `1.0` pins `1.0-0` too). */
  readonly include: readonly string[];
  /** Names treated as already satisfied and never added. */
  readonly exclude?: readonly string[];
  readonly architecture: Architecture;
}

export interface Resolution {
  /** One version per name, sorted by name. */
  readonly packages: BinaryPackage[];
  /** For each name, the package that pulled it in, or 'requested'. */
  readonly why: Record<string, string>;
}

export type ResolveErrorCode = 'INVALID_REQUEST' | 'UNKNOWN_PACKAGE' | 'VERSION_NOT_FOUND' | 'UNSATISFIABLE' | 'CONFLICT';

/** Why resolution failed; each code has its own subclass, so callers may test either. */
export abstract class ResolveError<Code extends ResolveErrorCode = ResolveErrorCode> extends TemperedError<Code> {}

/** The request itself is malformed: bad name or version, a name both included and excluded. */
export class InvalidRequestError extends ResolveError<'INVALID_REQUEST'> {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
  }
}

/** No package or provider of that name for the architecture. */
export class UnknownPackageError extends ResolveError<'UNKNOWN_PACKAGE'> {
  constructor(message: string) {
    super('UNKNOWN_PACKAGE', message);
  }
}

/** A pinned `name=version` is not in the index. */
export class VersionNotFoundError extends ResolveError<'VERSION_NOT_FOUND'> {
  constructor(message: string) {
    super('VERSION_NOT_FOUND', message);
  }
}

/** No available version or provider satisfies a dependency. */
export class UnsatisfiableError extends ResolveError<'UNSATISFIABLE'> {
  constructor(message: string) {
    super('UNSATISFIABLE', message);
  }
}

/** A dependency excludes a version already chosen, or constraints on a name leave no version. */
export class ConflictError extends ResolveError<'CONFLICT'> {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

const REQUESTED = 'requested';

export function resolve(index: PackageIndex, request: ResolveRequest): Resolution {
  const excluded = excludedNames(request);
  const resolver = new Resolver(index, excluded, request.architecture);
  for (const spec of [...request.include].sort(compareText)) resolver.request(spec);
  return resolver.run();
}

function excludedNames(request: ResolveRequest): ReadonlySet<string> {
  const excluded = new Set(request.exclude ?? []);
  for (const name of excluded) {
    if (!isPackageName(name)) throw new InvalidRequestError(`exclude: "${name}" is not a package name`);
  }
  for (const spec of request.include) {
    const name = spec.split('=', 1)[0] ?? '';
    if (excluded.has(name)) throw new InvalidRequestError(`${name} is both included and excluded`);
  }
  return excluded;
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

type NonEmpty<T> = readonly [T, ...T[]];
const isNonEmpty = <T>(list: readonly T[]): list is NonEmpty<T> => list.length > 0;

/** One dependency (or request) on a name, as recorded against the package chosen for it. */
interface Constraint {
  /** As the dependency reads: `libfoo (>= 2)`. */
  readonly wanted: string;
  /** The package that depends, or undefined for a request. */
  readonly by: string | undefined;
  readonly accepts: (candidate: BinaryPackage) => boolean;
}

interface Choice {
  /** Versions every constraint so far accepts, newest first; the first is taken when the name's turn comes. */
  candidates: NonEmpty<BinaryPackage>;
  readonly constraints: Constraint[];
  selected: boolean;
  /** The package whose dependency first chose this name, or 'requested'. */
  readonly pulledBy: string;
}

interface Failure {
  readonly name: string;
  readonly kind: 'unknown' | 'unsatisfiable' | 'conflict';
  readonly reason: string;
}

/** Whether `candidate` satisfies `relation`, as itself or through a versioned Provides (Policy §7.5). */
function meets(candidate: BinaryPackage, relation: Relation): boolean {
  const hasVersion = (version: string | undefined): boolean =>
    relation.relation === undefined ||
    (version !== undefined && relation.version !== undefined && satisfies(version, relation.relation, relation.version));
  if (candidate.name === relation.name && hasVersion(candidate.version)) return true;
  return candidate.provides.some((provided) => provided.name === relation.name && hasVersion(provided.version));
}

class Resolver {
  private readonly choices = new Map<string, Choice>();
  /** Choices in the order they were made: breadth-first, and deterministic. */
  private readonly queue: Choice[] = [];

  constructor(
    private readonly index: PackageIndex,
    private readonly excluded: ReadonlySet<string>,
    private readonly architecture: string,
  ) {}

  request(spec: string): void {
    const [name = '', version, ...extra] = spec.split('=');
    if (!isPackageName(name) || extra.length > 0 || version === '') {
      throw new InvalidRequestError(`include: "${spec}" is not "name" or "name=version"`);
    }
    if (version === undefined) return this.satisfy([{ name }], undefined);
    if (!isValidVersion(version)) throw new InvalidRequestError(`include: "${spec}" has an invalid version`);
    this.checkPinExists(name, version);
    this.satisfy([{ name, relation: '=', version }], undefined);
  }

  run(): Resolution {
    // An array iterator also visits what is pushed while it runs: the choices these dependencies make.
    for (const choice of this.queue) {
      const chosen = choice.candidates[0];
      choice.candidates = [chosen];
      choice.selected = true;
      for (const group of [...chosen.preDepends, ...chosen.depends]) this.satisfy(group, chosen);
    }
    const byName = [...this.choices].sort(([a], [b]) => compareText(a, b));
    return {
      packages: byName.map(([, choice]) => choice.candidates[0]),
      why: Object.fromEntries(byName.map(([name, choice]) => [name, choice.pulledBy])),
    };
  }

  private checkPinExists(name: string, version: string): void {
    const versions = this.installable(name);
    if (versions.length === 0) throw new UnknownPackageError(`${name}=${version} requested: ${this.unknownReason(name, 'no package')}`);
    if (!versions.some((pkg) => meets(pkg, { name, relation: '=', version }))) {
      throw new VersionNotFoundError(`${name}=${version} requested: only ${versionList(versions)} available`);
    }
  }

  /** Applies the three rules in the header to one OR-group, or throws why none of its alternatives can be had. */
  private satisfy(group: readonly Relation[], by: BinaryPackage | undefined): void {
    if (group.some((relation) => this.isSatisfiedAlready(relation, by))) return;
    const failures: Failure[] = [];
    for (const relation of group) {
      if (this.chooseFor(relation, by)) return;
      failures.push(this.explain(relation));
    }
    this.fail(group, by, failures);
  }

  /** Rules 1 and 2. Records the constraint on the chosen package that satisfies it. */
  private isSatisfiedAlready(relation: Relation, by: BinaryPackage | undefined): boolean {
    if (!this.qualifierAllowed(relation)) return false;
    if (this.isExcluded(relation)) return true;
    const constraint = constraintFor(relation, by);
    return this.namesFor(relation).some((name) => this.choices.has(name) && this.constrain(name, constraint, by));
  }

  /** Rule 3: the real package first, then providers by name; never an excluded name. */
  private chooseFor(relation: Relation, by: BinaryPackage | undefined): boolean {
    if (!this.qualifierAllowed(relation)) return false;
    const constraint = constraintFor(relation, by);
    return this.namesFor(relation).some(
      (name) => !this.choices.has(name) && !this.excluded.has(name) && this.constrain(name, constraint, by),
    );
  }

  private isExcluded(relation: Relation): boolean {
    if (this.excluded.has(relation.name)) return true;
    return this.index.providers(relation.name).some((provider) => this.excluded.has(provider.name) && meets(provider, relation));
  }

  /** `:any` and `:native` are fine on a single-architecture image; another architecture is not. */
  private qualifierAllowed(relation: Relation): boolean {
    const qualifier = relation.archQualifier;
    return qualifier === undefined || qualifier === 'any' || qualifier === 'native' || qualifier === this.architecture;
  }

  /** The relation's own name, then the names of its providers in name order. */
  private namesFor(relation: Relation): string[] {
    return [...new Set([relation.name, ...this.index.providers(relation.name).map((provider) => provider.name)])];
  }

  private installable(name: string): readonly BinaryPackage[] {
    return this.index.versions(name).filter((pkg) => pkg.architecture === this.architecture || pkg.architecture === 'all');
  }

  /**
   * Narrows the versions allowed for `name` by `constraint`, choosing the
   * name if it is new. Returns false, changing nothing, if no version would
   * be left.
   */
  private constrain(name: string, constraint: Constraint, by: BinaryPackage | undefined): boolean {
    const choice = this.choices.get(name);
    const remaining = (choice?.candidates ?? this.installable(name)).filter(constraint.accepts);
    if (!isNonEmpty(remaining)) return false;
    if (choice !== undefined) {
      choice.candidates = remaining;
      choice.constraints.push(constraint);
    } else {
      const added: Choice = { candidates: remaining, constraints: [constraint], selected: false, pulledBy: by?.name ?? REQUESTED };
      this.choices.set(name, added);
      this.queue.push(added);
    }
    return true;
  }

  private explain(relation: Relation): Failure {
    const name = relation.name;
    if (!this.qualifierAllowed(relation)) {
      return { name, kind: 'unsatisfiable', reason: `:${relation.archQualifier} is not ${this.architecture}` };
    }
    const chosen = this.namesFor(relation).flatMap((n) => this.describeChoice(n) ?? []);
    if (chosen.length > 0) return { name, kind: 'conflict', reason: chosen.join('; ') };

    const versions = this.installable(name);
    const providers = this.namesFor(relation).slice(1).filter((n) => !this.excluded.has(n));
    if (versions.length === 0 && providers.length === 0) {
      return { name, kind: 'unknown', reason: this.unknownReason(name, 'no package or provider') };
    }
    const available = versions.length > 0 ? `only ${versionList(versions)} available` : `no package named ${name}`;
    const provided = providers.length > 0 ? `, and no provider (${providers.join(', ')}) provides a matching version` : '';
    return { name, kind: 'unsatisfiable', reason: `${available}${provided}` };
  }

  /** `nothing` is what to say when the index has no such name at all. */
  private unknownReason(name: string, nothing: string): string {
    const otherArchitectures = new Set(this.index.versions(name).map((pkg) => pkg.architecture));
    if (otherArchitectures.size === 0) return `${nothing} named ${name}`;
    return `${name} exists only for ${[...otherArchitectures].join(', ')}, not ${this.architecture}`;
  }

  /** What was decided about `name` so far, if it was chosen. */
  private describeChoice(name: string): string | undefined {
    const choice = this.choices.get(name);
    if (choice === undefined) return undefined;
    if (choice.selected) return `${name} ${choice.candidates[0].version} already chosen (${this.chainFrom(choice.pulledBy)})`;
    const earlier = choice.constraints.map((c) => `${c.wanted} ${c.by === undefined ? REQUESTED : `required by ${c.by}`}`);
    return `${name} is already limited to ${versionList(choice.candidates)} by ${earlier.join(', ')}`;
  }

  private fail(group: readonly Relation[], by: BinaryPackage | undefined, failures: readonly Failure[]): never {
    const reasons = failures.map((f) => (failures.length > 1 ? `${f.name}: ${f.reason}` : f.reason)).join('; ');
    const message = `${group.map(formatRelation).join(' | ')} ${this.chainFrom(by?.name ?? REQUESTED)}: ${reasons}`;
    if (failures.every((f) => f.kind === 'unknown')) throw new UnknownPackageError(message);
    if (failures.some((f) => f.kind === 'conflict')) throw new ConflictError(message);
    throw new UnsatisfiableError(message);
  }

  /** "required by bar, required by baz" up to a request, or "requested". */
  private chainFrom(name: string): string {
    const links: string[] = [];
    for (let current = name; current !== REQUESTED && !links.includes(current); current = this.choices.get(current)?.pulledBy ?? REQUESTED) {
      links.push(current);
    }
    return links.length === 0 ? REQUESTED : links.map((link) => `required by ${link}`).join(', ');
  }
}

function constraintFor(relation: Relation, by: BinaryPackage | undefined): Constraint {
  return { wanted: formatRelation(relation), by: by?.name, accepts: (candidate) => meets(candidate, relation) };
}

function versionList(packages: readonly BinaryPackage[]): string {
  return [...new Set(packages.map((pkg) => pkg.version))].join(', ');
}
