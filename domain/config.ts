/**
 * Process configuration for workers, activities and the CLI, read once from
 * the environment and validated. Workflows never read it: what a workflow
 * needs arrives as arguments, so a secret here can never reach a history.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { TemperedError } from './errors';
import { type Architecture, ARCHITECTURES, ArchitectureSchema } from './platform';

export const ORCHESTRATION_QUEUE = 'tempered-orchestration';
export const BUILD_QUEUE = 'tempered-build';

const HostPortSchema = z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be HOST:PORT');

/** `amd64,arm64`: known architectures, each once, in tempered's order. */
const ArchitectureListSchema = z
  .string()
  .transform((s) => s.split(',').map((a) => a.trim()))
  .pipe(z.array(ArchitectureSchema).min(1).refine((a) => new Set(a).size === a.length, { error: 'lists an architecture twice' }))
  .transform((list) => ARCHITECTURES.filter((a) => list.includes(a)));

const EnvSchema = z.object({
  TEMPERED_STATE_DIR: z.string().optional(),
  TEMPERED_CATALOG_DIR: z.string().optional(),
  TEMPERED_CUSTOMIZATIONS_DIR: z.string().optional(),
  TEMPORAL_ADDRESS: HostPortSchema.default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Where people open the Temporal Web UI (printed by `tempered up`); the dev server's by default. */
  TEMPERED_UI_URL: z.url({ protocol: /^https?$/ }).optional(),
  TEMPERED_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPERED_TASK_QUEUE_PREFIX: z.string().regex(/^[a-z0-9-]*$/).default(''),
  TEMPERED_REGISTRY: HostPortSchema.default('127.0.0.1:5000'),
  TEMPERED_REGISTRY_SCHEME: z.enum(['http', 'https']).optional(),
  TEMPERED_REPOSITORY_PREFIX: z.string().regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/).default('tempered'),
  TEMPERED_REGISTRY_USERNAME: z.string().optional(),
  TEMPERED_REGISTRY_PASSWORD: z.string().optional(),
  TEMPERED_REGISTRY_PASSWORD_FILE: z.string().optional(),
  /** Comma-separated `host[:port]`s besides the registry that may issue it Bearer tokens. */
  TEMPERED_REGISTRY_TOKEN_HOSTS: z.string().regex(/^([A-Za-z0-9.-]+(:[0-9]{1,5})?)(,[A-Za-z0-9.-]+(:[0-9]{1,5})?)*$/, 'must be host[:port],...').optional(),
  TEMPERED_SIGNING_KEY: z.string().optional(),
  TEMPERED_BUILD_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /** What catalog images are published for: one platform manifest each, in one image index when more than one. */
  TEMPERED_ARCHITECTURES: ArchitectureListSchema.default([...ARCHITECTURES]),
  /** What this process's build worker builds (a build task queue each): natively, or through qemu-user emulation. */
  TEMPERED_BUILD_ARCHITECTURES: ArchitectureListSchema.default([...ARCHITECTURES]),
  TEMPERED_DOCKER_SOCKET: z.string().default('/var/run/docker.sock'),
  /** JSON list of archive sources; unset = the machine's apt sources for bookworm. */
  TEMPERED_ARCHIVE: z.string().optional(),
  /** Content-addressed caches may be shared between state directories (tests do). */
  TEMPERED_DEB_CACHE: z.string().optional(),
  TEMPERED_ARCHIVE_CACHE: z.string().optional(),
  /** Blob store and build records, when shared between state directories (the test suite shares one per run). */
  TEMPERED_BUILD_CACHE: z.string().optional(),
  /** The unprivileged account sandboxed build steps run as (scripts/lib/sandbox.sh creates it). */
  /** Unique tags (`<tag>-<YYYYMMDD>.<cycle>`) stay this many days, and the newest TEMPERED_UNIQUE_TAG_KEEP of each moving tag always (domain/tags/retention.ts). */
  TEMPERED_UNIQUE_TAG_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  TEMPERED_UNIQUE_TAG_KEEP: z.coerce.number().int().min(0).max(1000).default(10),
  /** JSON file of webhooks to send CloudEvents to (domain/notify/webhooks.ts); read at each delivery. */
  TEMPERED_WEBHOOKS_FILE: z.string().min(1).optional(),
  TEMPERED_SANDBOX_USER: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a user name').default('tempered-sandbox'),
});

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface Config {
  repoRoot: string;
  stateDir: string;
  catalogDir: string;
  customizationsDir: string;
  temporal: { address: string; namespace: string; orchestrationQueue: string; buildQueue: string; uiUrl: string };
  registry: { host: string; scheme: 'http' | 'https'; repositoryPrefix: string; credentials?: RegistryCredentials; tokenHosts: string[] };
  signingKeyPath: string;
  publicKeyPath: string;
  buildConcurrency: number;
  /** The architectures catalog images are published for (TEMPERED_ARCHITECTURES). */
  architectures: Architecture[];
  /** The architectures this process's build worker serves (TEMPERED_BUILD_ARCHITECTURES). */
  buildArchitectures: Architecture[];
  dockerSocket: string;
  /** Raw TEMPERED_ARCHIVE (validated where it is used: lib/archive/sources.ts). */
  archive?: string;
  debCache: string;
  archiveCache: string;
  /** Where built blobs and build records live: `<state>/oci` unless shared. */
  buildCache: string;
  sandboxUser: string;
  webhooksFile?: string;
  uniqueTagRetention: { keepDays: number; keepNewest: number };
}

export class ConfigError extends TemperedError<'CONFIG_INVALID'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}

/** The checkout this code runs from (works from the sources and from dist/). */
export function findRepoRoot(start = __dirname): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'tempered') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new ConfigError(`cannot find the tempered checkout above ${start}`);
    dir = parent;
  }
}

const isLoopback = (host: string) => /^(127\.|localhost:|\[::1\])/.test(host);

export function parseConfig(env: NodeJS.ProcessEnv, repoRoot = findRepoRoot()): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`environment ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  const stateDir = path.resolve(e.TEMPERED_STATE_DIR ?? path.join(repoRoot, '.tempered'));
  const catalogDir = path.resolve(e.TEMPERED_CATALOG_DIR ?? path.join(repoRoot, 'catalog'));
  const signingKeyPath = path.resolve(e.TEMPERED_SIGNING_KEY ?? path.join(stateDir, 'keys', 'tempered.key'));
  const prefix = e.TEMPERED_TASK_QUEUE_PREFIX;
  return {
    repoRoot,
    stateDir,
    catalogDir,
    customizationsDir: path.resolve(e.TEMPERED_CUSTOMIZATIONS_DIR ?? path.join(catalogDir, 'customizations')),
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      orchestrationQueue: prefix + ORCHESTRATION_QUEUE,
      buildQueue: prefix + BUILD_QUEUE,
      uiUrl: (e.TEMPERED_UI_URL ?? `http://${e.TEMPORAL_ADDRESS.replace(/:\d+$/, '')}:${e.TEMPERED_UI_PORT}`).replace(/\/$/, ''),
    },
    registry: {
      host: e.TEMPERED_REGISTRY,
      scheme: e.TEMPERED_REGISTRY_SCHEME ?? (isLoopback(e.TEMPERED_REGISTRY) ? 'http' : 'https'),
      repositoryPrefix: e.TEMPERED_REPOSITORY_PREFIX,
      credentials: readCredentials(e),
      tokenHosts: e.TEMPERED_REGISTRY_TOKEN_HOSTS?.split(',') ?? [],
    },
    signingKeyPath,
    publicKeyPath: signingKeyPath.replace(/(\.key)?$/, '.pub'),
    buildConcurrency: e.TEMPERED_BUILD_CONCURRENCY,
    architectures: e.TEMPERED_ARCHITECTURES,
    buildArchitectures: e.TEMPERED_BUILD_ARCHITECTURES,
    dockerSocket: e.TEMPERED_DOCKER_SOCKET,
    archive: e.TEMPERED_ARCHIVE,
    debCache: path.resolve(e.TEMPERED_DEB_CACHE ?? path.join(stateDir, 'cache', 'debs')),
    archiveCache: path.resolve(e.TEMPERED_ARCHIVE_CACHE ?? path.join(stateDir, 'cache', 'archive')),
    buildCache: path.resolve(e.TEMPERED_BUILD_CACHE ?? path.join(stateDir, 'oci')),
    sandboxUser: e.TEMPERED_SANDBOX_USER,
    uniqueTagRetention: { keepDays: e.TEMPERED_UNIQUE_TAG_DAYS, keepNewest: e.TEMPERED_UNIQUE_TAG_KEEP },
    ...(e.TEMPERED_WEBHOOKS_FILE ? { webhooksFile: path.resolve(e.TEMPERED_WEBHOOKS_FILE) } : {}),
  };
}

/** Credentials come from env or a file beside the state, never from arguments a workflow could record. */
function readCredentials(e: z.infer<typeof EnvSchema>): RegistryCredentials | undefined {
  if (!e.TEMPERED_REGISTRY_USERNAME) return undefined;
  let password = e.TEMPERED_REGISTRY_PASSWORD;
  if (e.TEMPERED_REGISTRY_PASSWORD_FILE) password = fs.readFileSync(e.TEMPERED_REGISTRY_PASSWORD_FILE, 'utf8').trim();
  if (!password) throw new ConfigError('TEMPERED_REGISTRY_USERNAME is set but neither TEMPERED_REGISTRY_PASSWORD nor TEMPERED_REGISTRY_PASSWORD_FILE is');
  return { username: e.TEMPERED_REGISTRY_USERNAME, password };
}

let cached: Config | undefined;
export function loadConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Where each kind of runtime state lives under the state directory. */
export function statePaths(config: Pick<Config, 'stateDir' | 'buildCache'>) {
  const root = config.stateDir;
  return {
    root,
    blobs: path.join(config.buildCache, 'blobs'),
    builds: path.join(config.buildCache, 'builds'),
    images: path.join(root, 'oci', 'images'),
    locks: path.join(root, 'locks'),
    work: path.join(root, 'work'),
    logs: path.join(root, 'logs'),
    reports: path.join(root, 'reports'),
  };
}
