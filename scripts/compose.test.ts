/**
 * docker-compose.yml cannot run here (no image can be pulled), so CI checks
 * what can be checked: it parses, its services are complete, every file it
 * references exists in the repository, and it is the shape scripts/cluster
 * runs (which the cluster suite runs for real): the same services, variables,
 * versions and PostgreSQL setup, and no state shared through a volume.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

const root = path.resolve(__dirname, '..');
const compose = YAML.parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
  'x-tempered-env': Record<string, string>;
  'x-temporal-env': Record<string, string>;
};
interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string; target?: string; args?: Record<string, string> };
  volumes?: string[];
  command?: string[];
  environment?: Record<string, string>;
}
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const cluster = read('scripts/lib/cluster.sh');
const versions = Object.fromEntries([...read('deploy/versions.env').matchAll(/^([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
const shellArray = (name: string) => (new RegExp(`^${name}=\\(([^)]*)\\)`, 'm').exec(cluster)?.[1] ?? '').split(/\s+/).filter(Boolean);
const functionBody = (name: string) => new RegExp(`^${name}\\(\\) \\{[^\\n]*\\n([\\s\\S]*?)\\n\\}`, 'm').exec(cluster)?.[1] ?? '';
const temporalServers = Object.entries(compose.services).filter(([, s]) => typeof s.build === 'object' && s.build.target === 'server');

test('every service has an image or a build, and builds reference a Dockerfile that exists', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    expect([name, !!(service.image || service.build)]).toEqual([name, true]);
    if (service.build) {
      const context = typeof service.build === 'string' ? service.build : service.build.context;
      const dockerfile = typeof service.build === 'string' ? 'Dockerfile' : (service.build.dockerfile ?? 'Dockerfile');
      expect(fs.existsSync(path.join(root, context, dockerfile))).toBe(true);
    }
  }
});

test('bind mounts and secrets point at files in the repository', () => {
  const sources = Object.values(compose.services)
    .flatMap((s) => s.volumes ?? [])
    .map((v) => v.split(':')[0] as string)
    .filter((source) => source.startsWith('./'));
  for (const source of [...sources, ...Object.values(compose.secrets).map((s) => s.file)]) {
    expect([source, fs.existsSync(path.join(root, source))]).toEqual([source, true]);
  }
});

test('worker commands run entry points the build produces', () => {
  for (const service of Object.values(compose.services)) {
    const script = service.command?.find((a) => a.startsWith('dist/'));
    if (script) expect(fs.existsSync(path.join(root, script.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
  }
});

test('the Dockerfile copies only paths that exist', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  for (const [, from] of dockerfile.matchAll(/^COPY\s+(?!--from=)(.+)\s+\S+$/gm)) {
    for (const source of (from as string).split(/\s+/)) expect([source, fs.existsSync(path.join(root, source))]).toEqual([source, true]);
  }
});

test('the worker image pins the Node.js that the scripts pin (version and each architecture\'s integrity)', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const common = fs.readFileSync(path.join(root, 'scripts/lib/common.sh'), 'utf8');
  const arg = (name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(dockerfile)?.[1];
  expect(arg('NODE_VERSION')).toBe(/^NODE_VERSION="([^"]+)"$/m.exec(common)?.[1]);
  expect(arg('NODE_INTEGRITY_X64')).toBe(/\[x64\]="([^"]+)"/.exec(common)?.[1]);
  expect(arg('NODE_INTEGRITY_ARM64')).toBe(/\[arm64\]="([^"]+)"/.exec(common)?.[1]);
  expect(arg('NODE_VERSION')).toMatch(/^24\./);
});

describe('the shape scripts/cluster runs', () => {
  test('the same Temporal server and Web UI versions (deploy/versions.env), PostgreSQL major version and registry', () => {
    for (const [name, service] of [...temporalServers, ['temporal-ui', compose.services['temporal-ui'] as Service] as const]) {
      const args = typeof service.build === 'object' ? service.build.args : undefined;
      expect([name, args]).toEqual([name, { TEMPORAL_SERVER_VERSION: versions.TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION: versions.TEMPORAL_UI_VERSION }]);
    }
    expect(compose.services.postgresql?.image).toBe(`postgres:${versions.POSTGRESQL_VERSION}-bookworm`);
    // scripts/cluster runs Debian's docker-registry: the same distribution release.
    const debian = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'docker-registry']).toString();
    expect(compose.services.registry?.image).toBe(`registry:${/^([0-9.]+)/.exec(debian)?.[1]}`);
  });

  test('the four Temporal services, one per container, rendered from the one configuration with the same variables', () => {
    const services = temporalServers.map(([, s]) => s.command?.[0]).filter((c) => c !== 'schema');
    expect(services.sort()).toEqual(shellArray('TEMPORAL_SERVICES').sort());
    const template = [...read('deploy/temporal/config.yaml').matchAll(/env "([A-Z_]+)"/g)].map((m) => m[1]);
    const passedByCluster = [...functionBody('start_temporal_service').matchAll(/\b(TEMPORAL_[A-Z_]+)=/g)].map((m) => m[1]);
    // The password and this container's own address are set by the image's entrypoint, from the secret and the container.
    const passedByCompose = [...Object.keys(compose['x-temporal-env']), 'TEMPORAL_POSTGRES_PASSWORD', 'TEMPORAL_BROADCAST_ADDRESS'];
    expect(new Set(passedByCluster)).toEqual(new Set(template));
    expect(new Set(passedByCompose)).toEqual(new Set(template));
    const dockerfile = read('deploy/temporal/Dockerfile');
    for (const file of ['config.yaml', 'apply-schemas.sh', 'ui-config.sh']) {
      expect([file, dockerfile.includes(`deploy/temporal/${file}`), cluster.includes(`deploy/temporal/${file}`)]).toEqual([file, true, true]);
    }
  });

  test('the workers get the variables scripts/cluster gives its workers, and run the same entry points', () => {
    const exported = [...functionBody('cluster_env').matchAll(/export ([A-Z_]+)=/g)].map((m) => m[1]);
    // use_stack_addresses exports the two addresses for every script.
    expect(new Set(Object.keys(compose['x-tempered-env']))).toEqual(new Set(['TEMPORAL_ADDRESS', 'TEMPERED_REGISTRY', ...exported]));
    const entries = Object.values(compose.services).flatMap((s) => s.command?.filter((a) => a.startsWith('dist/workers/')) ?? []);
    const clusterEntries = [...new Set([...(/WORKER_ENTRY=\(([^)]*)\)/.exec(cluster)?.[1] ?? '').matchAll(/=(\w+)/g)].map((m) => `dist/workers/${m[1]}.js`))];
    expect(new Set(entries)).toEqual(new Set(clusterEntries));
  });

  test('no state is shared through a volume: the workers keep their state directories to themselves', () => {
    const named = (s: Service) => (s.volumes ?? []).map((v) => v.split(':')[0] as string).filter((source) => !source.startsWith('./') && !source.startsWith('/'));
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build === '.') expect([name, named(service)]).toEqual([name, []]);
    }
    const mounts = Object.values(compose.services).flatMap(named);
    expect(mounts.filter((v, i) => mounts.indexOf(v) !== i)).toEqual([]);
    expect(Object.keys(compose.volumes).sort()).toEqual(['postgresql', 'registry']);
  });

  test('PostgreSQL is set up the same way: the temporal role, its password from a secret, scram-sha-256, UTF-8', () => {
    const env = compose.services.postgresql?.environment ?? {};
    expect(env.POSTGRES_USER).toBe('temporal');
    expect(env.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres-password');
    expect(env.POSTGRES_INITDB_ARGS).toBe(/^PG_INITDB_ARGS="([^"]+)"$/m.exec(cluster)?.[1]);
    expect(cluster).toMatch(/initdb" -D "\$PG_DATA" -U temporal --pwfile=\S+ \$PG_INITDB_ARGS/);
  });
});
