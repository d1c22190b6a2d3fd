/**
 * A customization merged with its base: the image config of the customized
 * image (from the base's config, Docker's layering rules) and the spec its
 * image tests run from. Pure: the build activity feeds it the base's config
 * as published, so the merge is about the exact base digest being built on.
 */
import type { ImageTest } from '../catalog/definition';
import type { VariantSpec } from '../catalog/effective';
import { CA_BUNDLE_PATH } from '../catalog/policy';
import type { ImageConfigInput } from '../oci/image';
import type { Customization } from './schema';

/** The fields of an OCI image config the merge reads. */
export interface BaseImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: {
    User?: string;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
  };
  rootfs?: { diff_ids?: string[] };
  history?: { created?: string; created_by?: string; comment?: string }[];
}

export const CUSTOM_CERTIFICATE_DIR = '/usr/local/share/ca-certificates';

export interface CustomConfigInput {
  base: BaseImageConfig;
  customization: Customization;
  /** `uid:gid` of runAs against the merged accounts, or undefined to keep the base's user. */
  user: string | undefined;
  diffId: string;
  created: string;
  createdBy: string;
  /** Labels tempered sets on every image (title, version...), below the customization's own. */
  standardLabels: Record<string, string>;
}

/**
 * Docker's rules, which users of FROM expect: env and labels merge (the
 * customization wins), a new entrypoint drops the base's cmd, the rest is
 * inherited unless given.
 */
export function customConfig(input: CustomConfigInput): ImageConfigInput {
  const { base, customization: c } = input;
  const inherited = base.config ?? {};
  const env = Object.fromEntries((inherited.Env ?? []).map((kv) => {
    const eq = kv.indexOf('=');
    return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
  }));
  return {
    // A customization runs where its base runs: the layer it adds is the same on every platform.
    platform: { os: 'linux', architecture: base.architecture ?? 'amd64', ...(base.variant ? { variant: base.variant } : {}) },
    created: input.created,
    user: input.user ?? inherited.User ?? '',
    env: { ...env, ...c.environment },
    entrypoint: c.entrypoint ?? inherited.Entrypoint ?? [],
    cmd: c.cmd ?? (c.entrypoint ? [] : (inherited.Cmd ?? [])),
    workdir: c.workdir ?? inherited.WorkingDir ?? '/',
    labels: { ...(inherited.Labels ?? {}), ...input.standardLabels, ...c.labels },
    diffIds: [...(base.rootfs?.diff_ids ?? []), input.diffId],
    history: [
      ...(base.history ?? []).map((h) => ({ created: h.created ?? input.created, createdBy: h.created_by ?? '', ...(h.comment ? { comment: h.comment } : {}) })),
      { created: input.created, createdBy: input.createdBy },
    ],
  };
}

/** The later of two RFC 3339 times: a customized image is never older than its base. */
export function laterOf(a: string | undefined, b: string): string {
  return a !== undefined && Date.parse(a) > Date.parse(b) ? a : b;
}

/**
 * The spec the image tests of a customized image run from: the base's variant
 * (its policy applies), what the customization changes, and its tests, after
 * checks derived from its files and certificates (each file in place with its
 * mode, each certificate in the bundle).
 */
export function customTestSpec(baseSpec: VariantSpec, c: Customization, tag: string, certificates: readonly { name: string; pems: string[] }[]): VariantSpec {
  const derived: ImageTest[] = [
    ...c.files.map((f): ImageTest => ({ name: `${f.path} is in place with mode ${f.mode}`, file: f.path, exists: true, mode: f.mode })),
    ...certificates.flatMap(({ name, pems }) =>
      pems.map((pem, i): ImageTest => ({ name: `the CA bundle has certificate ${name}${pems.length > 1 ? ` #${i + 1}` : ''}`, file: CA_BUNDLE_PATH, exists: true, contains: pemBody(pem) })),
    ),
  ];
  return {
    ...baseSpec,
    description: c.description,
    tag,
    packages: { include: [...new Set([...baseSpec.packages.include, ...c.packages])].sort(), exclude: baseSpec.packages.exclude },
    accounts: {
      groups: [...baseSpec.accounts.groups, ...(c.accounts?.groups ?? [])],
      users: [...baseSpec.accounts.users, ...(c.accounts?.users ?? [])],
      runAs: c.accounts?.runAs ?? baseSpec.accounts.runAs,
    },
    environment: { ...baseSpec.environment, ...c.environment },
    entrypoint: c.entrypoint ?? baseSpec.entrypoint,
    cmd: c.cmd ?? (c.entrypoint ? [] : baseSpec.cmd),
    workdir: c.workdir ?? baseSpec.workdir,
    paths: [],
    labels: { ...baseSpec.labels, ...c.labels },
    annotations: { ...baseSpec.annotations, ...c.annotations },
    tests: [...derived, ...c.tests],
    allowSetid: [...new Set([...baseSpec.allowSetid, ...(c.allowSetid ?? [])])].sort(),
  };
}

/** The base64 body of a PEM certificate on one line: what a bundle must contain, whatever its line breaks. */
function pemBody(pem: string): string {
  return pem.split('\n').filter((l) => l && !l.startsWith('-----')).slice(0, 2).join('\n');
}
