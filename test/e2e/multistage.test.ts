/**
 * The multi-stage proof, for every example in examples/: each is compiled or
 * installed in its image's dev variant (source mounted read-only, network
 * none), copied onto the runtime variant with the classic builder from the
 * locally loaded base, and run with network none. Both bases are built here
 * from the newest release's lock with the real build code; each example's own
 * build.sh does the rest with the docker CLI, exactly as its README tells a
 * user to.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { NEWEST_RELEASE } from '../../domain/debian/releases';
import { dockerClient } from '../../lib/engine/client';
import { loadImage } from '../../lib/engine/load';
import { runInContainer } from '../../lib/engine/run';
import { readLockFile } from '../../lib/locks/lockStore';
import { effectiveSpec } from '../../domain/catalog/effective';
import { lockFileFor, readDefinition } from '../../domain/catalog/load';
import type { Variant } from '../../domain/image';
import { buildForTest } from '../support/builds';

jest.setTimeout(1_200_000);

const run = promisify(execFile);
const REPO = path.join(__dirname, '../..');
const suffix = `${process.pid}`;

/** Each example, the catalog image it builds on, what it prints, and a tool the runtime image must not have. */
const EXAMPLES = [
  { example: 'hello-cc', image: 'cc', prints: 'hello from cc:trixie (glibc 2.41) as uid 65532', absent: '/usr/bin/gcc' },
  { example: 'hello-go', image: 'go', prints: 'hello from go (linux/amd64, Paris +02:00, CA bundle ok) as uid 65532', absent: '/usr/bin/go' },
  { example: 'hello-node', image: 'node', prints: 'hello from node v20 (linux/x64, CA bundle ok) as uid 65532', absent: '/usr/bin/npm' },
  { example: 'hello-java', image: 'java', prints: 'hello from java 21 (linux/amd64, CA bundle ok) as uid 65532', absent: '/usr/bin/javac' },
  { example: 'hello-python', image: 'python', prints: 'hello from python 3.13 (linux/x86_64, CA bundle ok) as uid 65532', absent: '/usr/bin/pip3' },
] as const;

const basesOf = (image: string) => ({ runtime: `tempered-e2e/${image}:trixie-${suffix}`, dev: `tempered-e2e/${image}:trixie-dev-${suffix}` });
const appOf = (example: string) => `tempered-e2e/${example}:${suffix}`;

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-multistage-'));
});

afterAll(async () => {
  for (const { example, image } of EXAMPLES) {
    for (const ref of [appOf(example), ...Object.values(basesOf(image))]) await dockerClient().getImage(ref).remove({ noprune: true }).catch(() => undefined);
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Both variants of the image, built from the newest release's lock and loaded under the test's tags. */
async function loadBases(image: string): Promise<{ runtime: string; dev: string }> {
  const file = path.join(REPO, 'catalog', `${image}.yaml`);
  const definition = readDefinition(file);
  const lock = readLockFile(lockFileFor(file, NEWEST_RELEASE));
  const bases = basesOf(image);
  for (const variant of ['runtime', 'dev'] as Variant[]) {
    const { built, store } = await buildForTest(effectiveSpec(definition, NEWEST_RELEASE, variant), lock, path.join(work, image));
    // loadImage skips an image the engine already has, under whatever tag: tag it ourselves.
    const id = await loadImage(store, built.digest, bases[variant]);
    const [repo, tag] = bases[variant].split(':') as [string, string];
    await dockerClient().getImage(id).tag({ repo, tag });
  }
  fs.rmSync(path.join(work, image, 'blobs'), { recursive: true, force: true }); // the fallback store, if used
  return bases;
}

describe.each(EXAMPLES)('$example', ({ example, image, prints, absent }) => {
  let bases: { runtime: string; dev: string } | undefined;

  test(`built in ${image}:trixie-dev, it runs on ${image}:trixie as nonroot with network none`, async () => {
    bases = await loadBases(image);
    const { stdout } = await run(path.join(REPO, 'examples', example, 'build.sh'), [appOf(example)], {
      env: { ...process.env, DEV_IMAGE: bases.dev, RUNTIME_IMAGE: bases.runtime },
      timeout: 600_000,
    });
    expect(stdout.trim().split('\n').pop()).toBe(prints);
  });

  test('the result is the runtime base plus the application: same user, no shell, no build tool', async () => {
    if (!bases) throw new Error('the bases were not built');
    const app = await dockerClient().getImage(appOf(example)).inspect();
    const base = await dockerClient().getImage(bases.runtime).inspect();
    expect(app.Config.User).toBe('65532:65532');
    expect(app.RootFS.Layers?.slice(0, base.RootFS.Layers?.length ?? 0)).toEqual(base.RootFS.Layers);

    const shell = await runInContainer({ image: appOf(example), entrypoint: ['/bin/sh'], command: ['-c', 'echo shell'], timeoutSeconds: 30 });
    expect(shell.exitCode).not.toBe(0);
    expect(shell.stdout).not.toContain('shell');
    const tool = await runInContainer({ image: appOf(example), entrypoint: [absent], command: ['--version'], timeoutSeconds: 30 });
    expect(tool.exitCode).not.toBe(0);
  });
});
