/**
 * Merges a definition with one release's and one variant's overrides into
 * the exact spec the builder and the image tests consume, in this order:
 * the definition, `releases.<r>`, `variants.<v>`, `releases.<r>.variants.<v>`
 * (lists add up, maps merge, single values are replaced by the later one).
 * The variant policy's fixed parts (runtime exclusions, dev essentials) are
 * added here, in one place.
 */
import { type Release, RELEASE_INFO } from '../debian/releases';
import { type CatalogImageRef, publishedTags, releaseTag, type Variant } from '../imageId';
import { type Architecture, ARCHITECTURES, DEFAULT_ARCHITECTURE } from '../platform';
import { expandForArchitecture } from './architectureValues';
import { type Definition, definitionReleases, type ImageTest, type Layering, type PathEntry, type VariantOverride } from './definition';
import { DEFAULT_RUNTIME_PRUNE, DEV_REQUIRED_PACKAGES, RUNTIME_EXCLUDED_PACKAGES } from './policy';

type Accounts = NonNullable<Definition['accounts']>;

export interface VariantSpec {
  image: CatalogImageRef;
  description: string;
  /** The release's tag (`trixie`, `trixie-dev`); `tags` adds `latest` for the definition's newest release. */
  tag: string;
  tags: string[];
  architectures: Architecture[];
  packages: { include: string[]; exclude: string[] };
  /** Dev images carry the Essential set, so dpkg and its maintainer scripts work. */
  essential: boolean;
  prune: string[];
  accounts: { groups: Accounts['groups']; users: Accounts['users']; runAs?: string | number };
  environment: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  workdir: string;
  paths: PathEntry[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  tests: ImageTest[];
  /** Paths that keep setuid/setgid bits in a runtime image. */
  allowSetid: string[];
  /** Runtime images are layered by origin unless the definition says otherwise; dev images are one layer. */
  layering: Layering;
}

export const DEFAULT_LAYERING: Layering = { strategy: 'origin', budget: 8 };

const unique = (values: readonly string[]) => [...new Set(values)].sort();

function mergeByKey<T>(base: readonly T[], over: readonly T[], key: (t: T) => string): T[] {
  const merged = new Map<string, T>();
  for (const item of [...base, ...over]) merged.set(key(item), item);
  return [...merged.values()];
}

/** The overrides that apply to one release and variant, in merge order. */
function overridesFor(definition: Definition, release: Release, variant: Variant): VariantOverride[] {
  const r = definition.releases[release];
  if (!r) throw new Error(`${definition.name} is not built for ${release} (its releases: ${definitionReleases(definition).join(', ')})`);
  const { variants: releaseVariants, ...releaseFields } = r;
  return [releaseFields, definition.variants[variant] ?? {}, releaseVariants?.[variant] ?? {}];
}

/** Later single values win; lists and maps accumulate. */
function merged(overrides: readonly VariantOverride[]): VariantOverride {
  const out: VariantOverride = {};
  for (const o of overrides) {
    const { packages, environment, labels, annotations, tests, allowSetid, paths, accounts, ...single } = o;
    Object.assign(out, Object.fromEntries(Object.entries(single).filter(([, v]) => v !== undefined)));
    if (packages) out.packages = { include: [...(out.packages?.include ?? []), ...packages.include], exclude: [...(out.packages?.exclude ?? []), ...packages.exclude] };
    if (environment) out.environment = { ...out.environment, ...environment };
    if (labels) out.labels = { ...out.labels, ...labels };
    if (annotations) out.annotations = { ...out.annotations, ...annotations };
    if (tests) out.tests = [...(out.tests ?? []), ...tests];
    if (allowSetid) out.allowSetid = [...(out.allowSetid ?? []), ...allowSetid];
    if (paths) out.paths = mergeByKey(out.paths ?? [], paths, (p) => p.path);
    if (accounts) {
      out.accounts = {
        groups: mergeByKey(out.accounts?.groups ?? [], accounts.groups, (g) => g.name),
        users: mergeByKey(out.accounts?.users ?? [], accounts.users, (u) => u.name),
        runAs: accounts.runAs ?? out.accounts?.runAs,
      };
    }
  }
  return out;
}

/** The architectures a definition is built for: its list, or every one tempered builds. */
export function definitionArchitectures(definition: Definition): Architecture[] {
  return definition.architectures ? ARCHITECTURES.filter((a) => definition.architectures?.includes(a)) : [...ARCHITECTURES];
}

/**
 * The spec of one release, variant and architecture, placeholders expanded
 * (architectureValues.ts); the definition's first architecture (amd64 unless
 * it narrows them) when none is named.
 */
export function effectiveSpec(definition: Definition, release: Release, variant: Variant, arch?: Architecture): VariantSpec {
  const architectures = definitionArchitectures(definition);
  const target = arch ?? architectures[0] ?? DEFAULT_ARCHITECTURE;
  if (!architectures.includes(target)) throw new Error(`${definition.name} is not built for ${target} (its architectures: ${architectures.join(', ')})`);
  return expandForArchitecture(mergedSpec(definition, release, variant, architectures), target, `${definition.name} (${release} ${variant} ${target})`);
}

function mergedSpec(definition: Definition, release: Release, variant: Variant, architectures: Architecture[]): VariantSpec {
  const o = merged(overridesFor(definition, release, variant));
  const include = [...definition.packages.include, ...(o.packages?.include ?? [])];
  const exclude = [...definition.packages.exclude, ...(o.packages?.exclude ?? [])];
  if (variant === 'runtime') exclude.push(...RUNTIME_EXCLUDED_PACKAGES);
  else include.push(...DEV_REQUIRED_PACKAGES);

  const accounts = definition.accounts;
  const image: CatalogImageRef = { kind: 'catalog', name: definition.name, release, variant };
  return {
    image,
    description: o.description ?? definition.description,
    tag: releaseTag(release, variant),
    tags: publishedTags(image, definitionReleases(definition)[0]),
    architectures,
    packages: { include: unique(include), exclude: unique(exclude).filter((p) => !include.includes(p)) },
    essential: variant === 'dev',
    prune: o.prune ?? definition.prune ?? (variant === 'runtime' ? [...DEFAULT_RUNTIME_PRUNE] : []),
    accounts: {
      groups: mergeByKey(accounts?.groups ?? [], o.accounts?.groups ?? [], (g) => g.name),
      users: mergeByKey(accounts?.users ?? [], o.accounts?.users ?? [], (u) => u.name),
      // Dev images run as root (the policy): they exist to install and build; the non-root user is still there.
      runAs: o.accounts?.runAs ?? (variant === 'dev' ? 0 : accounts?.runAs),
    },
    environment: { ...definition.environment, ...o.environment },
    entrypoint: o.entrypoint ?? definition.entrypoint ?? [],
    cmd: o.cmd ?? definition.cmd ?? [],
    workdir: o.workdir ?? definition.workdir ?? '/',
    paths: mergeByKey(definition.paths ?? [], o.paths ?? [], (p) => p.path),
    labels: { ...definition.labels, ...o.labels },
    annotations: { ...definition.annotations, ...o.annotations },
    tests: [releaseTest(release), ...(definition.tests ?? []), ...(o.tests ?? [])],
    allowSetid: unique([...(definition.allowSetid ?? []), ...(o.allowSetid ?? [])]),
    layering: variant === 'dev' ? { strategy: 'single' } : (o.layering ?? definition.layering ?? DEFAULT_LAYERING),
  };
}

/** Every catalog image proves which Debian release it is: what scanners read to pick their advisories. */
function releaseTest(release: Release): ImageTest {
  const { version } = RELEASE_INFO[release];
  return { name: `os-release says Debian ${version} (${release})`, file: '/etc/os-release', exists: true, contains: `VERSION_ID="${version}"` };
}
