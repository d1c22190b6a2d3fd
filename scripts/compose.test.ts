/**
 * docker-compose.yml cannot run here (no image can be pulled), so CI checks
 * what can be checked: it parses, its services are complete, and every file
 * it references exists in the repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

const root = path.resolve(__dirname, '..');
const compose = YAML.parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: string | { context: string; dockerfile?: string }; volumes?: string[]; command?: string[] }>;
  secrets: Record<string, { file: string }>;
};

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
