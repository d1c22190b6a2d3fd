/**
 * What the multi-stage suites share (test/e2e/multistage.test.ts on amd64,
 * test/emulated/multistage.test.ts on arm64): the examples and what each
 * prints, and the catalog bases built with the real build code from the
 * newest release's lock and loaded into the engine under the suite's tags.
 * Each example's own build.sh does the rest with the docker CLI, exactly as
 * its README tells a user to.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { effectiveSpec } from '../../domain/catalog/effective';
import { lockFileFor, readDefinition } from '../../domain/catalog/load';
import { NEWEST_RELEASE } from '../../domain/debian/releases';
import type { Variant } from '../../domain/image';
import type { Architecture } from '../../domain/platform';
import { dockerClient } from '../../lib/engine/client';
import { loadImage } from '../../lib/engine/load';
import { readLockFile } from '../../lib/locks/lockStore';
import { buildForTest } from './builds';

const REPO = path.join(__dirname, '../..');
const suffix = `${process.pid}`;

/** Each example, the catalog image it builds on, what it prints (amd64, arm64), and a tool the runtime image must not have. */
export const EXAMPLES = [
  // C is compiled by the arm64 compiler: in the arm64 dev image (devOnArm64), under emulation here.
  {
    example: 'hello-cc', image: 'cc', absent: '/usr/bin/gcc', devOnArm64: true,
    prints: 'hello from cc:trixie (glibc 2.41) as uid 65532', onArm64: 'hello from cc:trixie (glibc 2.41) as uid 65532',
  },
  {
    example: 'hello-go', image: 'go', absent: '/usr/bin/go',
    prints: 'hello from go (linux/amd64, Paris +02:00, CA bundle ok) as uid 65532', onArm64: 'hello from go (linux/arm64, Paris +02:00, CA bundle ok) as uid 65532',
  },
  {
    example: 'hello-node', image: 'node', absent: '/usr/bin/npm',
    prints: 'hello from node v20 (linux/x64, CA bundle ok) as uid 65532', onArm64: 'hello from node v20 (linux/arm64, CA bundle ok) as uid 65532',
  },
  // The JVM and Python name arm64 aarch64.
  {
    example: 'hello-java', image: 'java', absent: '/usr/bin/javac',
    prints: 'hello from java 21 (linux/amd64, CA bundle ok) as uid 65532', onArm64: 'hello from java 21 (linux/aarch64, CA bundle ok) as uid 65532',
  },
  {
    example: 'hello-python', image: 'python', absent: '/usr/bin/pip3',
    prints: 'hello from python 3.13 (linux/x86_64, CA bundle ok) as uid 65532', onArm64: 'hello from python 3.13 (linux/aarch64, CA bundle ok) as uid 65532',
  },
] as const;

export const basesOf = (image: string) => ({ runtime: `tempered-e2e/${image}:trixie-${suffix}`, dev: `tempered-e2e/${image}:trixie-dev-${suffix}` });
export const arm64RuntimeOf = (image: string) => `tempered-e2e/${image}:trixie-arm64-${suffix}`;
export const arm64DevOf = (image: string) => `tempered-e2e/${image}:trixie-dev-arm64-${suffix}`;
export const appOf = (example: string, arch: Architecture = 'amd64') => `tempered-e2e/${example}:${suffix}${arch === 'amd64' ? '' : `-${arch}`}`;

/** A scratch directory for the suite's fallback stores, and the engine's tags removed after it. */
export function useExampleWork(): () => string {
  let work = '';
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-multistage-'));
  });
  afterAll(async () => {
    for (const { example, image } of EXAMPLES) {
      const refs = [appOf(example), appOf(example, 'arm64'), arm64RuntimeOf(image), arm64DevOf(image), ...Object.values(basesOf(image))];
      for (const ref of refs) await dockerClient().getImage(ref).remove({ noprune: true }).catch(() => undefined);
    }
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });
  return () => work;
}

/** One variant of the image for one architecture, loaded under `reference`. */
export async function loadBase(work: string, image: string, variant: Variant, arch: Architecture, reference: string): Promise<void> {
  const file = path.join(REPO, 'catalog', `${image}.yaml`);
  const lock = readLockFile(lockFileFor(file, NEWEST_RELEASE));
  const { built, store } = await buildForTest(effectiveSpec(readDefinition(file), NEWEST_RELEASE, variant, arch), lock, path.join(work, image), arch);
  // loadImage skips an image the engine already has, under whatever tag: tag it ourselves.
  const id = await loadImage(store, built.digest, reference);
  const [repo, tag] = reference.split(':') as [string, string];
  await dockerClient().getImage(id).tag({ repo, tag });
  fs.rmSync(path.join(work, image, 'blobs'), { recursive: true, force: true }); // the fallback store, if used
}

/** Both amd64 variants of the image, loaded under the suite's tags. */
export async function loadBases(work: string, image: string): Promise<{ runtime: string; dev: string }> {
  const bases = basesOf(image);
  for (const variant of ['runtime', 'dev'] as Variant[]) await loadBase(work, image, variant, 'amd64', bases[variant]);
  return bases;
}

/** Runs the example's build.sh with `env`; its last line of output. */
export async function runExample(example: string, tag: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)(path.join(REPO, 'examples', example, 'build.sh'), [tag], { env: { ...process.env, ...env }, timeout: 600_000 });
  return stdout.trim().split('\n').pop() ?? '';
}
