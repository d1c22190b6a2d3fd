/**
 * Resolving on top of an installed system: the packages a base image already
 * has (its dpkg status) stand in the index as the ONLY version of their name,
 * so a new package's `libc6 (>= 2.38)` on a base with libc6 2.36 fails with
 * the resolver's own message instead of silently pulling in a second libc6,
 * and everything the base has counts as present.
 */
import { field, parseStanzas, type Stanza } from './control';
import { type BinaryPackage, PackageIndex } from './packages';
import { parseRelations, type Relation } from './relations';
import { parseSourceField } from './status';
import { compareVersions, satisfies } from './version';

/** Where installed packages say they came from: not an archive, so nothing can be downloaded from here. */
export const INSTALLED_ORIGIN = { archive: 'installed:', suite: 'installed', component: 'installed' } as const;

/**
 * The installed packages of a dpkg status text, with their relations, in the
 * shape the resolver reads. Not-installed stanzas (removed, half-configured)
 * are left out, as dpkg would.
 */
export function installedPackages(statusText: string): BinaryPackage[] {
  return parseStanzas(statusText).filter(isInstalled).map(fromStanza);
}

function isInstalled(stanza: Stanza): boolean {
  const status = field(stanza, 'Status');
  if (status === undefined) return true;
  const [want, flag, state] = status.trim().split(/\s+/);
  return (want === 'install' || want === 'hold') && flag === 'ok' && state === 'installed';
}

function fromStanza(stanza: Stanza): BinaryPackage {
  const name = (field(stanza, 'Package') ?? '').trim();
  const version = (field(stanza, 'Version') ?? '').trim();
  const { source, sourceVersion } = parseSourceField(field(stanza, 'Source'), name, version);
  return {
    name,
    version,
    architecture: (field(stanza, 'Architecture') ?? '').trim(),
    source,
    sourceVersion,
    filename: '',
    size: 0,
    sha256: '',
    depends: parseRelations(field(stanza, 'Depends') ?? ''),
    preDepends: parseRelations(field(stanza, 'Pre-Depends') ?? ''),
    provides: parseRelations(field(stanza, 'Provides') ?? '').flatMap((group) => group.slice(0, 1)),
    essential: field(stanza, 'Essential') === 'yes',
    origin: INSTALLED_ORIGIN,
  };
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The archive seen from a system where `installed` is already there: an
 * installed name offers exactly its installed version (and only installed
 * packages provide through it); every other name is the archive's.
 */
export class InstalledOverlay extends PackageIndex {
  private readonly installedNames: ReadonlySet<string>;

  constructor(
    private readonly archive: PackageIndex,
    installed: readonly BinaryPackage[],
  ) {
    super(installed);
    this.installedNames = new Set(installed.map((p) => p.name));
  }

  isInstalled(name: string): boolean {
    return this.installedNames.has(name);
  }

  override names(): string[] {
    return [...new Set([...this.archive.names(), ...this.installedNames])].sort(compareText);
  }

  override essentialCandidates(): ReadonlySet<string> {
    return new Set([...this.archive.essentialCandidates(), ...super.essentialCandidates()]);
  }

  override versions(name: string): readonly BinaryPackage[] {
    return this.installedNames.has(name) ? super.versions(name) : this.archive.versions(name);
  }

  override providers(virtualName: string): readonly BinaryPackage[] {
    const fromArchive = this.archive.providers(virtualName).filter((p) => !this.installedNames.has(p.name));
    const fromInstalled = super.providers(virtualName);
    if (fromInstalled.length === 0) return fromArchive;
    // The order PackageIndex promises: by name, then newest first.
    return [...fromArchive, ...fromInstalled].sort((a, b) => compareText(a.name, b.name) || compareVersions(b.version, a.version));
  }
}

/** Whether `pkg` (itself or through a versioned Provides) satisfies `relation`. */
export function provides(pkg: Pick<BinaryPackage, 'name' | 'version' | 'provides'>, relation: Relation): boolean {
  const versionOk = (version: string | undefined): boolean =>
    relation.relation === undefined ||
    (version !== undefined && relation.version !== undefined && satisfies(version, relation.relation, relation.version));
  if (pkg.name === relation.name && versionOk(pkg.version)) return true;
  return pkg.provides.some((p) => p.name === relation.name && versionOk(p.version));
}
