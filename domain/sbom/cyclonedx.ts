/**
 * The CycloneDX 1.6 SBOM of an image: one component per installed Debian
 * binary package, the image itself as metadata.component.
 *
 * Output is deterministic — same image, packages and timestamp give the same
 * bytes — because the SBOM is signed and attested next to a reproducible
 * image: bom-refs are set explicitly, lists are sorted, and the serial number
 * is derived from the image digest instead of being random.
 *
 * Reading back (`installedFromSbom`) is deliberately looser: it accepts SBOMs
 * from other tools (syft, trivy) so a customer's image can be scanned from
 * whatever SBOM it came with.
 */
import { createHash } from 'node:crypto';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import { type InstalledPackage, installedPackageSchema } from '../debian/status';
import { splitReference } from '../image';
import { TemperedError } from '../errors';

export const DEBIAN_DISTRO_QUALIFIER = 'debian-12';

export interface SbomImage {
  /** e.g. `tempered/base` */
  name: string;
  variant: string;
  /** e.g. `127.0.0.1:5000/tempered/base:latest` */
  reference?: string;
  /** e.g. `sha256:…`; when present it also determines the serial number. */
  digest?: string;
}

export interface SbomTool {
  name: string;
  version: string;
  vendor?: string;
}

export interface SbomInput {
  image: SbomImage;
  packages: readonly InstalledPackage[];
  /** License names by binary package name, as parseCopyrightLicenses returns them. */
  licenses?: Readonly<Record<string, readonly string[]>>;
  tools?: readonly SbomTool[];
  /** Supplied by the caller (the build's SOURCE_DATE_EPOCH): a clock read here would break reproducibility. */
  timestamp: Date;
}

export class SbomInputError extends TemperedError<'SBOM_INPUT_INVALID'> {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super('SBOM_INPUT_INVALID', `SBOM input ${field}: ${problem}`);
  }
}

/** Property names; `tempered:deb:*` are always written so our own SBOMs never need a fallback. */
export const SBOM_PROPERTY = {
  source: 'tempered:deb:source',
  sourceVersion: 'tempered:deb:sourceVersion',
  installedSize: 'tempered:deb:installedSize',
  variant: 'tempered:image:variant',
  reference: 'tempered:image:reference',
} as const;

/** OCI digest grammar (image-spec descriptor.md): algorithm ":" encoded. */
const OCI_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));

/** The SBOM as JSON text (two-space indented), ready to attest. */
export function buildSbom(input: SbomInput): string {
  if (Number.isNaN(input.timestamp.getTime())) throw new SbomInputError('timestamp', 'is not a valid date');
  if (input.image.digest !== undefined && !OCI_DIGEST.test(input.image.digest)) {
    throw new SbomInputError('image.digest', `"${input.image.digest}" is not an OCI digest (algorithm:hex)`);
  }
  const bom = new CDX.Models.Bom({ serialNumber: sbomSerialNumber(input.image, input.packages) });
  bom.metadata.timestamp = input.timestamp;
  bom.metadata.component = imageComponent(input.image);
  for (const tool of input.tools ?? []) bom.metadata.tools.components.add(toolComponent(tool));
  for (const pkg of sortedUnique(input.packages)) {
    const component = packageComponent(pkg, input.licenses?.[pkg.name] ?? []);
    bom.components.add(component);
    // Our lock knows the package set, not the dpkg dependency graph: the image depends on each package directly.
    bom.metadata.component.dependencies.add(component.bomRef);
  }
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}

function sortedUnique(packages: readonly InstalledPackage[]): InstalledPackage[] {
  const byKey = new Map<string, InstalledPackage>();
  for (const pkg of packages) {
    const key = `${pkg.name}:${pkg.architecture}`;
    if (byKey.has(key)) throw new SbomInputError('packages', `${key} is listed twice; dpkg installs one version per architecture`);
    byKey.set(key, pkg);
  }
  return [...byKey.keys()].sort().map((key) => byKey.get(key) as InstalledPackage);
}

/**
 * `pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl`:
 * `upstream` (as syft writes it) names the source when it differs from the
 * binary, with `@version` when the source version differs too.
 */
export function debianPurl(pkg: InstalledPackage): string {
  const qualifiers: Record<string, string> = { arch: pkg.architecture, distro: DEBIAN_DISTRO_QUALIFIER };
  const sameVersion = pkg.sourceVersion === pkg.version;
  if (pkg.source !== pkg.name || !sameVersion) qualifiers.upstream = sameVersion ? pkg.source : `${pkg.source}@${pkg.sourceVersion}`;
  return new PackageURL('deb', 'debian', pkg.name, pkg.version, qualifiers, undefined).toString();
}

function packageComponent(pkg: InstalledPackage, licenseNames: readonly string[]): CDX.Models.Component {
  const purl = debianPurl(pkg);
  const component = new CDX.Models.Component(CDX.Enums.ComponentType.Library, pkg.name, { bomRef: purl, version: pkg.version, purl });
  if (pkg.description !== undefined) component.description = pkg.description;
  if (pkg.maintainer !== undefined) component.publisher = pkg.maintainer;
  if (pkg.homepage !== undefined) {
    component.externalReferences.add(new CDX.Models.ExternalReference(pkg.homepage, CDX.Enums.ExternalReferenceType.Website));
  }
  component.properties.add(new CDX.Models.Property(SBOM_PROPERTY.source, pkg.source));
  component.properties.add(new CDX.Models.Property(SBOM_PROPERTY.sourceVersion, pkg.sourceVersion));
  if (pkg.installedSize !== undefined) component.properties.add(new CDX.Models.Property(SBOM_PROPERTY.installedSize, String(pkg.installedSize)));
  for (const license of licenseModels(licenseNames)) component.licenses.add(license);
  return component;
}

function licenseModels(names: readonly string[]): CDX.Models.DisjunctiveLicense[] {
  const spdxIds = new Set<string>();
  const named = new Set<string>();
  for (const name of names) {
    const id = toSpdxId(name);
    if (id !== undefined) spdxIds.add(id);
    else if (name.trim()) named.add(name.trim());
  }
  return [...[...spdxIds].map((id) => new CDX.Models.SpdxLicense(id)), ...[...named].map((name) => new CDX.Models.NamedLicense(name))];
}

/** DEP-5 short names that are SPDX licenses under another name. */
const DEP5_SPDX_ALIASES: Readonly<Record<string, string>> = { expat: 'MIT' };

/**
 * The SPDX id for a DEP-5 license short name, or undefined when there is
 * none. DEP-5 writes GNU licenses as `GPL-2+` / `LGPL-2.1`; SPDX as
 * `GPL-2.0-or-later` / `LGPL-2.1-only`. Other names are matched
 * case-insensitively (`BSD-3-clause` is `BSD-3-Clause`).
 */
export function toSpdxId(name: string): string | undefined {
  const trimmed = name.trim();
  const gnu = /^(A?GPL|LGPL|GFDL)-(\d)(\.\d)?(\+)?$/i.exec(trimmed);
  if (gnu) {
    const [, family = '', major = '', minor = '.0', orLater] = gnu;
    const id = `${family.toUpperCase()}-${major}${minor}-${orLater ? 'or-later' : 'only'}`;
    return CDX.SPDX.isSupportedSpdxId(id) ? id : undefined;
  }
  return DEP5_SPDX_ALIASES[trimmed.toLowerCase()] ?? CDX.SPDX.fixupSpdxId(trimmed);
}

function imageComponent(image: SbomImage): CDX.Models.Component {
  const component = new CDX.Models.Component(CDX.Enums.ComponentType.Container, image.name, {
    bomRef: `image:${image.name}:${image.variant}`,
    ...(image.digest !== undefined ? { version: image.digest, purl: ociPurl(image.name, image.digest, image.reference) } : {}),
  });
  component.properties.add(new CDX.Models.Property(SBOM_PROPERTY.variant, image.variant));
  if (image.reference !== undefined) component.properties.add(new CDX.Models.Property(SBOM_PROPERTY.reference, image.reference));
  return component;
}

/** `pkg:oci/base@sha256:…?repository_url=127.0.0.1:5000/tempered/base&tag=latest` (purl-spec oci type). */
function ociPurl(name: string, digest: string, reference: string | undefined): string {
  const qualifiers: Record<string, string> = {};
  if (reference !== undefined) {
    const { repository, tag } = splitReference(reference);
    qualifiers.repository_url = repository;
    if (tag !== undefined) qualifiers.tag = tag;
  }
  const lastSegment = (name.split('/').pop() ?? name).toLowerCase();
  return new PackageURL('oci', undefined, lastSegment, digest, qualifiers, undefined).toString();
}

function toolComponent(tool: SbomTool): CDX.Models.Component {
  return new CDX.Models.Component(CDX.Enums.ComponentType.Application, tool.name, {
    version: tool.version,
    ...(tool.vendor !== undefined ? { publisher: tool.vendor } : {}),
  });
}

/** A fixed namespace for name-based serial numbers, itself RFC 4122 v5 of the URL namespace. */
const SERIAL_NAMESPACE = uuidV5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'https://github.com/tempered/sbom');

/**
 * `urn:uuid:` + an RFC 4122 version-5 UUID of the image digest, so the same
 * image always gets the same serial. Without a digest (an SBOM written before
 * publishing), the name, variant and exact package set stand in for it.
 */
export function sbomSerialNumber(image: SbomImage, packages: readonly InstalledPackage[]): string {
  const name =
    image.digest ??
    [`${image.name}:${image.variant}`, ...packages.map((p) => `${p.name}:${p.architecture}=${p.version}`).sort()].join('\n');
  return `urn:uuid:${uuidV5(SERIAL_NAMESPACE, name)}`;
}

/** RFC 4122 §4.3 name-based UUID (SHA-1). */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A component as any tool may have written it: every field optional, every type unchecked. */
type LooseComponent = Readonly<Record<string, unknown>>;

/**
 * Installed Debian packages listed in an SBOM, ours or another tool's. The
 * source of each binary is taken from, in order: our `tempered:deb:*`
 * properties, syft's `syft:metadata:source*`, trivy's `aquasecurity:trivy:Src*`,
 * the purl's `upstream` qualifier, and finally the binary's own name and
 * version. Components that are not Debian packages, or whose versions are not
 * Debian versions, are left out.
 */
export function installedFromSbom(sbom: unknown): InstalledPackage[] {
  const document = typeof sbom === 'string' ? (JSON.parse(sbom) as unknown) : sbom;
  if (!isRecord(document)) throw new SbomInputError('(document)', 'is not a JSON object');
  const seen = new Set<string>();
  const packages: InstalledPackage[] = [];
  for (const component of allComponents(document.components)) {
    const pkg = installedFromComponent(component);
    const key = pkg && `${pkg.name}:${pkg.architecture}=${pkg.version}`;
    if (pkg === undefined || key === undefined || seen.has(key)) continue;
    seen.add(key);
    packages.push(pkg);
  }
  return packages;
}

function* allComponents(list: unknown): Generator<LooseComponent> {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    if (!isRecord(item)) continue;
    yield item;
    yield* allComponents(item.components);
  }
}

function installedFromComponent(component: LooseComponent): InstalledPackage | undefined {
  const purl = parseDebPurl(component.purl);
  if (purl === undefined) return undefined;
  const properties = propertyMap(component.properties);
  const name = purl.name;
  const version = withEpoch(purl.version ?? stringOr(component.version), purl.qualifiers?.epoch);
  if (version === undefined) return undefined;
  const { source, sourceVersion } = sourceOf(properties, purl.qualifiers?.upstream, name, version);
  const installedSize = Number(properties.get(SBOM_PROPERTY.installedSize));
  const candidate = {
    name,
    version,
    // A purl without arch (rare) still names a package we can match: advisories do not depend on it.
    architecture: purl.qualifiers?.arch ?? 'unknown',
    source,
    sourceVersion,
    ...(typeof component.description === 'string' ? { description: component.description } : {}),
    ...(typeof component.publisher === 'string' ? { maintainer: component.publisher } : {}),
    ...homepageOf(component.externalReferences),
    ...(Number.isSafeInteger(installedSize) && installedSize >= 0 ? { installedSize } : {}),
  };
  const parsed = installedPackageSchema.safeParse(candidate);
  return parsed.success ? parsed.data : undefined;
}

interface DebPurl {
  name: string;
  version?: string;
  qualifiers?: Record<string, string>;
}

function parseDebPurl(value: unknown): DebPurl | undefined {
  if (typeof value !== 'string' || !value.startsWith('pkg:deb/')) return undefined;
  try {
    const purl = PackageURL.fromString(value);
    return {
      name: purl.name,
      ...(purl.version ? { version: purl.version } : {}),
      ...(purl.qualifiers ? { qualifiers: purl.qualifiers as Record<string, string> } : {}),
    };
  } catch {
    return undefined;
  }
}

function sourceOf(properties: ReadonlyMap<string, string>, upstream: string | undefined, name: string, version: string) {
  const fromProperties =
    sourceFrom(properties.get(SBOM_PROPERTY.source), properties.get(SBOM_PROPERTY.sourceVersion)) ??
    sourceFrom(properties.get('syft:metadata:source'), properties.get('syft:metadata:sourceVersion')) ??
    sourceFrom(properties.get('aquasecurity:trivy:SrcName'), trivySourceVersion(properties));
  if (fromProperties) return { source: fromProperties.source, sourceVersion: fromProperties.sourceVersion ?? version };
  if (upstream) {
    const at = upstream.indexOf('@');
    return at < 0 ? { source: upstream, sourceVersion: version } : { source: upstream.slice(0, at), sourceVersion: upstream.slice(at + 1) };
  }
  return { source: name, sourceVersion: version };
}

function sourceFrom(source: string | undefined, sourceVersion: string | undefined) {
  return source ? { source, sourceVersion: sourceVersion || undefined } : undefined;
}

/** trivy splits a Debian version into SrcEpoch, SrcVersion (upstream) and SrcRelease (revision). */
function trivySourceVersion(properties: ReadonlyMap<string, string>): string | undefined {
  const upstream = properties.get('aquasecurity:trivy:SrcVersion');
  if (!upstream) return undefined;
  const epoch = properties.get('aquasecurity:trivy:SrcEpoch');
  const release = properties.get('aquasecurity:trivy:SrcRelease');
  return `${epoch && epoch !== '0' ? `${epoch}:` : ''}${upstream}${release ? `-${release}` : ''}`;
}

function propertyMap(properties: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (!Array.isArray(properties)) return map;
  for (const property of properties) {
    if (isRecord(property) && typeof property.name === 'string' && typeof property.value === 'string' && !map.has(property.name)) {
      map.set(property.name, property.value);
    }
  }
  return map;
}

function homepageOf(references: unknown): { homepage?: string } {
  if (!Array.isArray(references)) return {};
  const website = references.find((reference) => isRecord(reference) && reference.type === 'website' && typeof reference.url === 'string');
  return isRecord(website) && typeof website.url === 'string' ? { homepage: website.url } : {};
}

/** trivy moves the epoch of a deb purl into an `epoch` qualifier; dpkg and advisories keep it in the version. */
function withEpoch(version: string | undefined, epoch: string | undefined): string | undefined {
  if (version === undefined || !epoch || epoch === '0' || version.includes(':')) return version;
  return `${epoch}:${version}`;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type SbomValidation = { valid: true } | { valid: false; errors: string[] };

const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);

/**
 * Validates against the CycloneDX 1.6 JSON schema (strict: no unknown
 * properties), offline: the schemas ship with the library.
 */
export async function validateSbom(sbom: string | object): Promise<SbomValidation> {
  const text = typeof sbom === 'string' ? sbom : JSON.stringify(sbom);
  const result: unknown = await validator.validate(text);
  if (result === null) return { valid: true };
  return { valid: false, errors: describeValidationErrors(result) };
}

/** ajv errors as `/components/0/purl: must be string`; anything else as its JSON. */
function describeValidationErrors(result: unknown): string[] {
  if (!Array.isArray(result)) return [JSON.stringify(result)];
  return result.map((error) => {
    if (!isRecord(error)) return JSON.stringify(error);
    const path = typeof error.instancePath === 'string' && error.instancePath !== '' ? error.instancePath : '/';
    return `${path}: ${typeof error.message === 'string' ? error.message : JSON.stringify(error)}`;
  });
}
