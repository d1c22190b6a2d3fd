/**
 * Which Debian archives tempered reads packages from.
 *
 * By default the machine's own apt configuration, narrowed to the Debian
 * suites of one release; `TEMPERED_ARCHIVE` (a JSON array) or a JSON/YAML
 * config file replaces it, e.g. to point tests at a local signed repository.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { readAptSourceEntries, type AptSourceEntry } from './aptSources';
import { RELEASE_INFO, RELEASES, type Release } from '../../domain/debian/releases';
import { ArchiveError } from './errors';

export const DEBIAN_ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** A path segment that cannot be empty, `.` or `..`: suites and components end up in URLs. */
const SEGMENT = '[A-Za-z0-9][A-Za-z0-9._+~-]*';
const suiteName = z.string().regex(new RegExp(`^${SEGMENT}(/${SEGMENT})*$`), 'must be a suite name like "bookworm-security"');
const componentName = z.string().regex(new RegExp(`^${SEGMENT}(/${SEGMENT})*$`), 'must be a component name like "main"');
const architectureName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a Debian architecture like "amd64"');

const archiveUri = z
  .string()
  .refine((value) => URL.canParse(value), 'must be an absolute URL')
  .refine((value) => !URL.canParse(value) || ['http:', 'https:', 'file:'].includes(new URL(value).protocol), {
    message: 'must be an http, https or file URL',
  })
  // Sources travel in workflow inputs and histories, which must never hold credentials.
  .refine((value) => !URL.canParse(value) || (new URL(value).username === '' && new URL(value).password === ''), {
    message: 'must not contain credentials',
  })
  .transform((value) => value.replace(/\/+$/, ''));

export const ArchiveSource = z.strictObject({
  /** Archive root, the directory holding `dists/` and `pool/`, e.g. `http://deb.debian.org/debian`. */
  uri: archiveUri,
  suites: z.array(suiteName).min(1, 'must name at least one suite'),
  components: z.array(componentName).min(1).default(['main']),
  architectures: z.array(architectureName).min(1).default(['amd64']),
  /** OpenPGP keyring file (binary or armored) that gpgv checks InRelease against. */
  keyring: z.string().startsWith('/', 'must be an absolute path').default(DEBIAN_ARCHIVE_KEYRING),
});
export type ArchiveSource = z.output<typeof ArchiveSource>;
/** What a config file may say: defaults filled in by the schema. */
export type ArchiveSourceInput = z.input<typeof ArchiveSource>;

export const ArchiveSources = z.array(ArchiveSource).min(1, 'must list at least one archive source');

/** Validates untrusted configuration; errors name the field, e.g. `[0].suites[1]: must be a suite name`. */
export function parseArchiveSources(value: unknown, where: string): ArchiveSource[] {
  const result = ArchiveSources.safeParse(value);
  if (result.success) return result.data;
  throw new ArchiveError(
    'ARCHIVE_CONFIG_INVALID',
    where,
    result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  );
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('').replace(/^\./, '');
}

/**
 * The suites of one Debian release that carry its packages. Backports and
 * proposed-updates are left out on purpose: apt does not install from them
 * unless asked (NotAutomatic), so their newer versions are not "the newest".
 */
export function isReleaseSuite(suite: string, codename: string): boolean {
  return suite === codename || suite === `${codename}-updates` || suite === `${codename}-security`;
}

/** `trixie-security` -> the security suite's place (2) in its release's suites; undefined for other suites. */
function suiteRole(suite: string): number | undefined {
  for (const release of RELEASES) {
    const role = RELEASE_INFO[release].suites.indexOf(suite);
    if (role >= 0) return role;
  }
  return undefined;
}

/**
 * A Debian mirror, as opposed to a third-party repo that reuses Debian's suite
 * names (Docker's repo serves a `bookworm` suite): served from debian.org or
 * checked with one of Debian's own archive keyrings.
 */
function isDebianArchive(uri: string, keyrings: readonly string[]): boolean {
  const host = URL.canParse(uri) ? new URL(uri).hostname : '';
  const debianHost = host === 'debian.org' || host.endsWith('.debian.org');
  const debianKeyring = keyrings.some((path) => /\/debian-archive-[^/]*\.(gpg|pgp|asc)$/.test(path));
  return debianHost || debianKeyring;
}

/**
 * Turns apt entries into sources for `release`: Debian mirrors only, one
 * source per (uri, keyring, components, architectures). A mirror configured
 * for another release serves this one too (a Debian mirror carries every
 * release), so its suites are mapped by role: a machine on bookworm with
 * `bookworm bookworm-updates` and `bookworm-security` gives trixie's
 * `trixie trixie-updates` and `trixie-security` from the same URIs.
 */
export function archiveSourcesFromApt(entries: readonly AptSourceEntry[], release: Release = 'bookworm'): ArchiveSourceInput[] {
  const grouped = new Map<string, ArchiveSourceInput & { suites: string[] }>();
  for (const entry of entries) {
    if (!entry.enabled || !entry.types.includes('deb')) continue;
    const roles = entry.suites.map(suiteRole).filter((role): role is number => role !== undefined);
    const suites = [...new Set(roles)].sort().map((role) => RELEASE_INFO[release].suites[role] as string);
    if (suites.length === 0 || entry.components.length === 0) continue;
    for (const rawUri of entry.uris) {
      const uri = rawUri.replace(/\/+$/, '');
      if (!isDebianArchive(uri, entry.signedBy)) continue;
      const keyring = entry.signedBy[0] ?? DEBIAN_ARCHIVE_KEYRING;
      const key = JSON.stringify([uri, keyring, entry.components, entry.architectures ?? null]);
      const existing = grouped.get(key);
      if (existing) {
        for (const suite of suites) if (!existing.suites.includes(suite)) existing.suites.push(suite);
      } else {
        grouped.set(key, {
          uri,
          suites: [...suites],
          components: [...entry.components],
          ...(entry.architectures ? { architectures: [...entry.architectures] } : {}),
          keyring,
        });
      }
    }
  }
  return [...grouped.values()];
}

/** The Debian suites of `codename` (a release) from the machine's apt configuration under `aptDir`, with their Signed-By keyrings. */
export async function defaultArchiveSources(
  options: { aptDir?: string; codename?: Release } = {},
): Promise<ArchiveSource[]> {
  const aptDir = options.aptDir ?? '/etc/apt';
  const codename = options.codename ?? 'bookworm';
  const found = archiveSourcesFromApt(await readAptSourceEntries(aptDir), codename);
  if (found.length === 0) {
    throw new ArchiveError('ARCHIVE_CONFIG_INVALID', aptDir, [
      `no enabled Debian ${codename} source found; configure apt or set TEMPERED_ARCHIVE`,
    ]);
  }
  return parseArchiveSources(found, aptDir);
}

/**
 * The configured sources narrowed to one release's suites (a test archive
 * may list both releases, or a local repository with its own suite names:
 * a source with no Debian release suite at all is kept for every release),
 * each reading the given architectures. Refused when nothing is left: the
 * configuration names Debian suites, none of them this release's.
 */
export function forRelease(sources: readonly ArchiveSource[], release: Release, architectures: readonly string[], where: string): ArchiveSource[] {
  const narrowed = sources.flatMap((source) => {
    const known = source.suites.filter((suite) => suiteRole(suite) !== undefined);
    if (known.length === 0) return [{ ...source, architectures: [...architectures] }];
    const suites = known.filter((suite) => isReleaseSuite(suite, release));
    return suites.length ? [{ ...source, suites, architectures: [...architectures] }] : [];
  });
  if (narrowed.length === 0) {
    throw new ArchiveError('ARCHIVE_CONFIG_INVALID', where, [`no ${release} suite is configured (${RELEASE_INFO[release].suites.join(', ')})`]);
  }
  return narrowed;
}

/** Reads a JSON or YAML file holding an array of sources (YAML is a superset of JSON). */
export async function archiveSourcesFromFile(path: string): Promise<ArchiveSource[]> {
  let value: unknown;
  try {
    value = parseYaml(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ArchiveError('ARCHIVE_CONFIG_INVALID', path, [`cannot read: ${(error as Error).message}`]);
  }
  return parseArchiveSources(value, path);
}

export const ARCHIVE_ENV_VAR = 'TEMPERED_ARCHIVE';

/** `TEMPERED_ARCHIVE` as sources, or undefined when it is unset or empty. */
export function archiveSourcesFromEnv(env: NodeJS.ProcessEnv = process.env): ArchiveSource[] | undefined {
  const text = env[ARCHIVE_ENV_VAR];
  if (text === undefined || text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ArchiveError('ARCHIVE_CONFIG_INVALID', ARCHIVE_ENV_VAR, [`is not JSON: ${(error as Error).message}`]);
  }
  return parseArchiveSources(value, ARCHIVE_ENV_VAR);
}

/** The sources to use: `TEMPERED_ARCHIVE`, else `configFile`, else the machine's apt configuration. */
export async function resolveArchiveSources(
  options: { env?: NodeJS.ProcessEnv; configFile?: string; aptDir?: string; codename?: Release } = {},
): Promise<ArchiveSource[]> {
  const fromEnv = archiveSourcesFromEnv(options.env ?? process.env);
  if (fromEnv) return fromEnv;
  if (options.configFile !== undefined) return archiveSourcesFromFile(options.configFile);
  return defaultArchiveSources(options);
}
