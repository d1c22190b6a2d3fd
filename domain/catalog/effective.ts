/**
 * Merges a definition with one variant's overrides into the exact spec the
 * builder and the image tests consume. The variant policy's fixed parts
 * (runtime exclusions, dev essentials) are added here, in one place.
 */
import type { CatalogImageRef, Variant } from '../image';
import type { Definition, ImageTest, Layering, PathEntry, VariantOverride } from './definition';
import { DEFAULT_RUNTIME_PRUNE, DEV_REQUIRED_PACKAGES, RUNTIME_EXCLUDED_PACKAGES, tagFor } from './policy';

type Accounts = NonNullable<Definition['accounts']>;

export interface VariantSpec {
  image: CatalogImageRef;
  description: string;
  tag: string;
  suites?: string[];
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

export function effectiveSpec(definition: Definition, variant: Variant): VariantSpec {
  const o: VariantOverride = definition.variants[variant] ?? {};
  const include = [...definition.packages.include, ...(o.packages?.include ?? [])];
  const exclude = [...definition.packages.exclude, ...(o.packages?.exclude ?? [])];
  if (variant === 'runtime') exclude.push(...RUNTIME_EXCLUDED_PACKAGES);
  else include.push(...DEV_REQUIRED_PACKAGES);

  const accounts = definition.accounts;
  return {
    image: { kind: 'catalog', name: definition.name, variant },
    description: o.description ?? definition.description,
    tag: tagFor(definition.tag, variant),
    suites: definition.suites,
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
    tests: [...(definition.tests ?? []), ...(o.tests ?? [])],
    allowSetid: unique([...(definition.allowSetid ?? []), ...(o.allowSetid ?? [])]),
    layering: variant === 'dev' ? { strategy: 'single' } : (o.layering ?? definition.layering ?? DEFAULT_LAYERING),
  };
}
