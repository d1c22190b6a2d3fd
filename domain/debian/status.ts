/**
 * What is installed in an image, read from dpkg's database: `/var/lib/dpkg/status`,
 * or the per-package files distroless-style images keep in
 * `/var/lib/dpkg/status.d/` instead. Scanners and our impact matching both
 * read this, so an image whose database is wrong is an image nobody can patch.
 */
import { z } from 'zod';
import { ControlSyntaxError, field, parseStanzas, type Stanza } from './control';
import { isValidVersion } from './version';
import { TemperedError } from '../errors';

export interface InstalledPackage {
  /** Binary package name, e.g. `libssl3`. */
  name: string;
  version: string;
  architecture: string;
  /** Source package it was built from, e.g. `openssl`; advisories name this. */
  source: string;
  /** Version of that source; differs from `version` for binNMUs (`+b1`) and some multi-binary sources. */
  sourceVersion: string;
  maintainer?: string;
  homepage?: string;
  /** The one-line synopsis, not the long description. */
  description?: string;
  /** KiB, as dpkg counts it. */
  installedSize?: number;
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const ARCHITECTURE = /^[a-z0-9][a-z0-9-]*$/;
const debianVersion = z.string().refine(isValidVersion, { error: (issue) => `invalid Debian version "${String(issue.input)}"` });

/** For InstalledPackage values that cross a boundary (activity results, SBOMs read back). */
export const installedPackageSchema = z.strictObject({
  name: z.string().regex(PACKAGE_NAME, { error: 'invalid Debian package name' }),
  version: debianVersion,
  architecture: z.string().regex(ARCHITECTURE, { error: 'invalid Debian architecture' }),
  source: z.string().regex(PACKAGE_NAME, { error: 'invalid Debian source package name' }),
  sourceVersion: debianVersion,
  maintainer: z.string().optional(),
  homepage: z.string().optional(),
  description: z.string().optional(),
  installedSize: z.number().int().nonnegative().optional(),
}) satisfies z.ZodType<InstalledPackage>;

export class DpkgStatusError extends TemperedError<'DPKG_STATUS_INVALID'> {
  constructor(
    /** 1-based paragraph number in the (concatenated) status text. */
    readonly paragraph: number,
    readonly problem: string,
  ) {
    super('DPKG_STATUS_INVALID', `dpkg status paragraph ${paragraph}: ${problem}`);
  }
}

/**
 * Installed packages in file order. Paragraphs for removed or half-installed
 * packages are left out; a malformed installed one throws DpkgStatusError (and
 * broken syntax ControlSyntaxError), because silently dropping a package would
 * hide its vulnerabilities from every later scan.
 */
export function parseDpkgStatus(text: string): InstalledPackage[] {
  const installed: InstalledPackage[] = [];
  parseStanzas(text).forEach((stanza, index) => {
    if (isInstalled(stanza)) installed.push(installedPackage(stanza, index + 1));
  });
  return installed;
}

/**
 * The files of `/var/lib/dpkg/status.d/` (without their `.md5sums` siblings).
 * A file need not end with a blank line, so they are joined with one instead
 * of being concatenated.
 */
export function parseDpkgStatusFiles(texts: readonly string[]): InstalledPackage[] {
  return parseDpkgStatus(texts.map((text) => text.trimEnd()).join('\n\n'));
}

/**
 * `Status: <want> <flag> <status>`. `hold ok installed` is as installed as
 * `install ok installed` (the admin only pinned it). status.d entries carry no
 * Status at all: their presence means installed.
 */
function isInstalled(stanza: Stanza): boolean {
  const status = field(stanza, 'Status');
  if (status === undefined) return true;
  const [want, flag, state] = status.trim().split(/\s+/);
  return (want === 'install' || want === 'hold') && flag === 'ok' && state === 'installed';
}

function installedPackage(stanza: Stanza, paragraph: number): InstalledPackage {
  const name = required(stanza, 'Package', paragraph);
  const version = required(stanza, 'Version', paragraph);
  const architecture = required(stanza, 'Architecture', paragraph);
  if (!PACKAGE_NAME.test(name)) throw new DpkgStatusError(paragraph, `Package: invalid Debian package name "${name}"`);
  if (!isValidVersion(version)) throw new DpkgStatusError(paragraph, `Version: invalid Debian version "${version}" (package ${name})`);
  const { source, sourceVersion } = parseSourceField(field(stanza, 'Source'), name, version, paragraph);
  return {
    name,
    version,
    architecture,
    source,
    sourceVersion,
    ...optionalText('maintainer', field(stanza, 'Maintainer')),
    ...optionalText('homepage', field(stanza, 'Homepage')),
    ...optionalText('description', field(stanza, 'Description')?.split('\n')[0]),
    ...installedSizeOf(field(stanza, 'Installed-Size')),
  };
}

function required(stanza: Stanza, name: string, paragraph: number): string {
  const value = field(stanza, name)?.trim();
  if (!value) throw new DpkgStatusError(paragraph, `${name}: is required for an installed package`);
  return value;
}

/**
 * `Source: glibc` (same version as the binary) or `Source: gcc-12 (12.2.0-14+deb12u1)`
 * (a binNMU, or a binary versioned apart from its source). No Source field
 * means the binary and source share name and version.
 */
export function parseSourceField(
  value: string | undefined,
  binaryName: string,
  binaryVersion: string,
  paragraph = 0,
): { source: string; sourceVersion: string } {
  const text = value?.trim();
  if (!text) return { source: binaryName, sourceVersion: binaryVersion };
  const match = /^(\S+)(?:\s+\(\s*([^()\s]+)\s*\))?$/.exec(text);
  const source = match?.[1];
  const sourceVersion = match?.[2] ?? binaryVersion;
  if (source === undefined || !PACKAGE_NAME.test(source)) {
    throw new DpkgStatusError(paragraph, `Source: expected "name" or "name (version)", got "${text}" (package ${binaryName})`);
  }
  if (!isValidVersion(sourceVersion)) {
    throw new DpkgStatusError(paragraph, `Source: invalid Debian version "${sourceVersion}" (package ${binaryName})`);
  }
  return { source, sourceVersion };
}

function optionalText<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  const text = value?.trim();
  return text ? ({ [key]: text } as Partial<Record<K, string>>) : {};
}

/** Informational only: an odd value is left out rather than failing the whole database. */
function installedSizeOf(value: string | undefined): { installedSize?: number } {
  const text = value?.trim();
  return text && /^\d+$/.test(text) ? { installedSize: Number(text) } : {};
}

/** The header paragraph of a machine-readable copyright file names its format. */
const DEP5_FORMAT = /copyright-format\/1\.0|dep\.debian\.net\/deps\/dep5/;

/**
 * License short names of a machine-readable (DEP-5) `/usr/share/doc/<pkg>/copyright`:
 * from the Files paragraphs and the standalone License paragraphs, unique and
 * sorted. An expression such as `GPL-2+ or Artistic-1.0` gives both names; an
 * exception stays with its license (`GPL-2+ with OpenSSL exception`). Files
 * that are not DEP-5 (free text) give [] rather than a guess.
 *
 * Paragraphs are parsed one at a time: copyright files are written by hand,
 * and one malformed paragraph should cost its own licenses, not the package's.
 */
export function parseCopyrightLicenses(text: string): string[] {
  const [header, ...paragraphs] = splitParagraphs(text).map(parseParagraph);
  if (header === undefined || !DEP5_FORMAT.test(field(header, 'Format') ?? field(header, 'Format-Specification') ?? '')) return [];
  const names = paragraphs.flatMap((paragraph) => (paragraph === undefined ? [] : licenseNames(field(paragraph, 'License'))));
  return [...new Set(names)].sort();
}

function splitParagraphs(text: string): string[] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n[ \t]*\n/)
    .filter((paragraph) => paragraph.trim().length > 0);
}

function parseParagraph(paragraph: string): Stanza | undefined {
  try {
    return parseStanzas(paragraph)[0];
  } catch (error) {
    if (error instanceof ControlSyntaxError) return undefined;
    throw error;
  }
}

function licenseNames(license: string | undefined): string[] {
  const synopsis = license?.split('\n')[0]?.trim();
  if (!synopsis) return [];
  return synopsis
    .split(/\s*,?\s+(?:or|and)\s+|\s*,\s*/i)
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
}
