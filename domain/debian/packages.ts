/**
 * Binary package records from apt `Packages` indexes, and an index over
 * several suites that answers "which versions exist", "which is newest",
 * "who provides this".
 */
import { scanStanzas, type ScannedField } from './control';
import { RelationSyntaxError, isPackageName, parseRelations, type Relation } from './relations';
import { InvalidVersionError, assertValidVersion, compareVersions } from './version';
import { TemperedError } from '../errors';

/** Where an index came from: `deb <archive> <suite> <component>`. */
export interface ArchiveOrigin {
  /** Base URI, e.g. `http://deb.debian.org/debian-security`; `filename` is relative to it. */
  readonly archive: string;
  readonly suite: string;
  readonly component: string;
}

export type MultiArch = 'same' | 'foreign' | 'allowed' | 'no';

export interface BinaryPackage {
  readonly name: string;
  readonly version: string;
  /** `amd64`, or `all` for architecture-independent packages. */
  readonly architecture: string;
  /** Source package name: what security advisories name. */
  readonly source: string;
  /** Differs from `version` for binNMUs (`+b1`) and for binaries built by another source version. */
  readonly sourceVersion: string;
  /** Path of the .deb relative to `origin.archive`. */
  readonly filename: string;
  readonly size: number;
  readonly sha256: string;
  readonly depends: readonly (readonly Relation[])[];
  readonly preDepends: readonly (readonly Relation[])[];
  /** Virtual names, each unversioned or with `=` version. */
  readonly provides: readonly Relation[];
  readonly essential: boolean;
  readonly priority?: string;
  readonly multiArch?: MultiArch;
  readonly section?: string;
  /** In KiB, as dpkg counts it. */
  readonly installedSize?: number;
  readonly maintainer?: string;
  readonly homepage?: string;
  /** The synopsis: the first line of Description. */
  readonly description?: string;
  readonly origin: ArchiveOrigin;
}

/** A stanza left out of an index, and why. */
export interface IndexProblem {
  /** Undefined when the stanza has no Package field. */
  readonly package: string | undefined;
  readonly reason: string;
}

export interface ParsedIndex {
  readonly packages: BinaryPackage[];
  readonly problems: IndexProblem[];
}

/** Thrown by the field readers below for one stanza; parsePackagesIndex turns it into an IndexProblem. */
class StanzaProblem extends TemperedError<'STANZA_INVALID'> {
  constructor(message: string) {
    super('STANZA_INVALID', message);
  }
}

/**
 * Reads a `Packages` index. A stanza that cannot be installed safely (bad
 * version, no SHA256 or Filename, unreadable relations) is left out and
 * reported in `problems` rather than failing the whole index: one broken
 * package in 60,000 must not stop every image build, and the resolver then
 * says clearly that the package is unknown if an image needs it.
 */
export function parsePackagesIndex(text: string, origin: ArchiveOrigin): ParsedIndex {
  const packages: BinaryPackage[] = [];
  const problems: IndexProblem[] = [];
  const fields = new PackageFields();
  scanStanzas(text, {
    field: (scanned) => fields.take(scanned),
    endStanza() {
      try {
        packages.push(packageFrom(fields, origin));
      } catch (error) {
        if (!(error instanceof StanzaProblem || error instanceof InvalidVersionError || error instanceof RelationSyntaxError)) throw error;
        problems.push({ package: fields.get('Package'), reason: error.message });
      }
      fields.clear();
    },
  });
  return { packages, problems };
}

/** The fields a BinaryPackage is made of, as Debian writes their names. */
const FIELD_NAMES = [
  'Package', 'Source', 'Version', 'Architecture', 'Filename', 'Size', 'SHA256', 'Depends', 'Pre-Depends', 'Provides',
  'Essential', 'Priority', 'Multi-Arch', 'Section', 'Installed-Size', 'Maintainer', 'Homepage', 'Description',
] as const;
type FieldName = (typeof FIELD_NAMES)[number];
const FIELD_BY_LOWER_CASE = new Map<string, FieldName>(FIELD_NAMES.map((name) => [name.toLowerCase(), name]));

/**
 * One stanza's values of FIELD_NAMES, whatever the case they were written
 * in (dpkg ignores it). The other fields are skipped without being read.
 */
class PackageFields {
  // An object with a fixed set of keys, not a Map: clear() then allocates nothing, 63,000 times per index.
  private readonly values = Object.fromEntries(FIELD_NAMES.map((name) => [name, undefined])) as Record<FieldName, string | undefined>;
  /** Names as written -> which of ours, or null: the same few dozen names come back in every stanza. */
  private readonly known = new Map<string, FieldName | null>();
  private duplicate: string | undefined;

  take(scanned: ScannedField): void {
    const name = this.fieldNameOf(scanned.name);
    if (name === null) return;
    if (this.values[name] !== undefined) this.duplicate = name;
    this.values[name] = scanned.value();
  }

  get(name: FieldName): string | undefined {
    return this.values[name];
  }

  /** A field given twice would let two readers of the same index see two different packages. */
  assertNoDuplicate(): void {
    if (this.duplicate !== undefined) throw new StanzaProblem(`${this.duplicate} field given twice`);
  }

  clear(): void {
    for (const name of FIELD_NAMES) this.values[name] = undefined;
    this.duplicate = undefined;
  }

  private fieldNameOf(written: string): FieldName | null {
    let name = this.known.get(written);
    if (name === undefined) {
      name = FIELD_BY_LOWER_CASE.get(written.toLowerCase()) ?? null;
      this.known.set(written, name);
    }
    return name;
  }
}

function packageFrom(fields: PackageFields, origin: ArchiveOrigin): BinaryPackage {
  fields.assertNoDuplicate();
  const name = packageName(required(fields, 'Package'));
  const version = validVersion(required(fields, 'Version'));
  const { source, sourceVersion } = sourceOf(fields.get('Source'), name, version);
  const installedSize = fields.get('Installed-Size');
  const multiArch = fields.get('Multi-Arch');
  // Every property present, absent ones undefined: one object shape for all packages.
  return {
    name,
    version,
    architecture: required(fields, 'Architecture'),
    source,
    sourceVersion,
    filename: relativeFilename(required(fields, 'Filename')),
    size: nonNegativeInteger(required(fields, 'Size'), 'Size'),
    sha256: sha256Of(required(fields, 'SHA256')),
    depends: parseRelations(fields.get('Depends') ?? ''),
    preDepends: parseRelations(fields.get('Pre-Depends') ?? ''),
    provides: providesOf(fields.get('Provides') ?? ''),
    essential: fields.get('Essential') === 'yes',
    priority: fields.get('Priority'),
    multiArch: multiArch === undefined ? undefined : multiArchOf(multiArch),
    section: fields.get('Section'),
    installedSize: installedSize === undefined ? undefined : nonNegativeInteger(installedSize, 'Installed-Size'),
    maintainer: fields.get('Maintainer'),
    homepage: fields.get('Homepage'),
    description: fields.get('Description')?.split('\n', 1)[0] || undefined,
    origin,
  };
}

function required(fields: PackageFields, name: FieldName): string {
  const value = fields.get(name);
  if (value === undefined || value === '') throw new StanzaProblem(`no ${name} field`);
  return value;
}

/** Names end up in paths (`/var/lib/dpkg/info/<name>.list`): refuse anything Policy does not allow. */
function packageName(text: string): string {
  if (!isPackageName(text)) throw new StanzaProblem(`"${text}" is not a valid package name`);
  return text;
}

function validVersion(version: string): string {
  assertValidVersion(version);
  return version;
}

/** `Source: gcc-12 (12.2.0-14+deb12u1)` names the source version when it differs (binNMU); no field means same as the binary. */
function sourceOf(text: string | undefined, name: string, version: string): { source: string; sourceVersion: string } {
  if (text === undefined) return { source: name, sourceVersion: version };
  const match = /^(\S+)(?:\s+\(([^()\s]+)\))?$/.exec(text);
  if (match === null) throw new StanzaProblem(`unreadable Source field "${text}"`);
  const [, source = '', sourceVersion = version] = match;
  return { source: packageName(source), sourceVersion: validVersion(sourceVersion) };
}

/** The .deb is fetched from `<archive>/<filename>`: a path escaping the archive must never get that far. */
function relativeFilename(filename: string): string {
  if (filename.startsWith('/') || /(^|\/)\.\.(\/|$)/.test(filename)) throw new StanzaProblem(`Filename "${filename}" leaves the archive`);
  return filename;
}

function nonNegativeInteger(text: string, name: string): number {
  if (!/^[0-9]+$/.test(text)) throw new StanzaProblem(`${name} "${text}" is not a whole number`);
  return Number(text);
}

function sha256Of(text: string): string {
  if (!/^[0-9a-f]{64}$/.test(text)) throw new StanzaProblem(`SHA256 "${text}" is not 64 lower-case hex digits`);
  return text;
}

function multiArchOf(text: string): MultiArch {
  if (text === 'same' || text === 'foreign' || text === 'allowed' || text === 'no') return text;
  throw new StanzaProblem(`unknown Multi-Arch value "${text}"`);
}

/** Policy §7.5: a Provides entry has no alternatives and at most an `=` version. */
function providesOf(text: string): Relation[] {
  return parseRelations(text).map((group) => {
    const [provided, ...others] = group;
    if (provided === undefined || others.length > 0) throw new StanzaProblem(`Provides "${text}" has alternatives`);
    if (provided.relation !== undefined && provided.relation !== '=') {
      throw new StanzaProblem(`Provides "${text}" uses ${provided.relation}; only = is allowed`);
    }
    return provided;
  });
}

/**
 * Newest first; equal versions (the same package in two suites, e.g. a
 * point release copying a security update) in a fixed order of origin, so
 * the choice never depends on the order indexes were read in.
 */
export function newestFirst(a: BinaryPackage, b: BinaryPackage): number {
  return (
    compareVersions(b.version, a.version) ||
    compareText(a.origin.suite, b.origin.suite) ||
    compareText(a.origin.archive, b.origin.archive) ||
    compareText(a.origin.component, b.origin.component) ||
    compareText(a.architecture, b.architecture) ||
    compareText(a.sha256, b.sha256)
  );
}

/** Code-unit order, unlike localeCompare: the same on every machine and locale. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Packages of several indexes (suites, components) seen as one archive. */
export class PackageIndex {
  private readonly byName = new Map<string, BinaryPackage[]>();
  private readonly byProvidedName = new Map<string, BinaryPackage[]>();
  private readonly withEssentialVersion = new Set<string>();
  private essential: string[] | undefined;

  constructor(packages: Iterable<BinaryPackage>) {
    for (const pkg of packages) {
      append(this.byName, pkg.name, pkg);
      for (const provided of pkg.provides) append(this.byProvidedName, provided.name, pkg);
      if (pkg.essential) this.withEssentialVersion.add(pkg.name);
    }
    for (const versions of this.byName.values()) versions.sort(newestFirst);
    for (const providers of this.byProvidedName.values()) providers.sort((a, b) => compareText(a.name, b.name) || newestFirst(a, b));
  }

  /** Every real (not virtual) package name, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort(compareText);
  }

  /** Every version of a package, newest first. */
  versions(name: string): readonly BinaryPackage[] {
    return this.byName.get(name) ?? [];
  }

  /** The newest version across all suites: bookworm's point release can be newer than bookworm-security's. */
  newest(name: string): BinaryPackage | undefined {
    return this.versions(name)[0];
  }

  /** The version equal to `version` in Debian order (`1.0` = `1.0-0`). */
  find(name: string, version: string): BinaryPackage | undefined {
    return this.versions(name).find((pkg) => compareVersions(pkg.version, version) === 0);
  }

  /** Packages whose Provides names `virtualName`, by name then newest first. */
  providers(virtualName: string): readonly BinaryPackage[] {
    return this.byProvidedName.get(virtualName) ?? [];
  }

  /** Names whose newest version is Essential (what every image of this archive gets), sorted. */
  essentialNames(): string[] {
    this.essential ??= [...this.essentialCandidates()].filter((name) => this.newest(name)?.essential).sort(compareText);
    return this.essential;
  }

  /** Names with at least one Essential version: a superset of essentialNames, cheap to merge. */
  essentialCandidates(): ReadonlySet<string> {
    return this.withEssentialVersion;
  }

  /** Names of the source packages of every binary: what advisories are matched against. */
  sources(): Set<string> {
    const sources = new Set<string>();
    for (const versions of this.byName.values()) for (const pkg of versions) sources.add(pkg.source);
    return sources;
  }
}

function append<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
