/**
 * The multi-stage proof: examples/hello-cc compiled in cc:trixie-dev
 * (source mounted read-only, network none), copied onto cc:trixie with the
 * classic builder from the locally loaded base, and run with network none.
 * Both bases are built here from catalog/cc.trixie.lock.json with the real build
 * code; the example's own build.sh does the rest with the docker CLI, exactly
 * as its README tells a user to.
 */
import { NEWEST_RELEASE } from '../../domain/debian/releases';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { dockerClient } from '../../lib/engine/client';
import { loadImage } from '../../lib/engine/load';
import { runInContainer } from '../../lib/engine/run';
import { readLockFile } from '../../lib/locks/lockStore';
import { effectiveSpec } from '../../domain/catalog/effective';
import { lockFileFor, readDefinition } from '../../domain/catalog/load';
import type { Variant } from '../../domain/image';
import { buildForTest } from '../support/builds';

jest.setTimeout(900_000);

const run = promisify(execFile);
const EXAMPLE = path.join(__dirname, '../../examples/hello-cc');
const CC = path.join(__dirname, '../../catalog/cc.yaml');
const suffix = `${process.pid}`;
const bases = { runtime: `tempered-e2e/cc:trixie-${suffix}`, dev: `tempered-e2e/cc:trixie-dev-${suffix}` };
const app = `tempered-e2e/hello-cc:${suffix}`;

let work: string;
beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-multistage-'));
  const definition = readDefinition(CC);
  const lock = readLockFile(lockFileFor(CC, NEWEST_RELEASE));
  for (const variant of ['runtime', 'dev'] as Variant[]) {
    const { built, store } = await buildForTest(effectiveSpec(definition, NEWEST_RELEASE, variant), lock, work);
    // loadImage skips an image the engine already has, under whatever tag: tag it ourselves.
    const id = await loadImage(store, built.digest, bases[variant]);
    const [repo, tag] = bases[variant].split(':') as [string, string];
    await dockerClient().getImage(id).tag({ repo, tag });
  }
  fs.rmSync(path.join(work, 'blobs'), { recursive: true, force: true }); // the fallback store, if used
});

afterAll(async () => {
  for (const ref of [app, bases.runtime, bases.dev]) await dockerClient().getImage(ref).remove({ noprune: true }).catch(() => undefined);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('hello-cc built in cc:trixie-dev runs on cc:trixie as nonroot with network none', async () => {
  const { stdout } = await run(path.join(EXAMPLE, 'build.sh'), [app], {
    env: { ...process.env, DEV_IMAGE: bases.dev, RUNTIME_IMAGE: bases.runtime },
    timeout: 300_000,
  });
  expect(stdout.trim().split('\n').pop()).toBe('hello from cc:trixie (glibc 2.41) as uid 65532');
});

test('the result is the runtime base plus one binary: same user, no shell, no compiler', async () => {
  const image = await dockerClient().getImage(app).inspect();
  const base = await dockerClient().getImage(bases.runtime).inspect();
  expect(image.Config.User).toBe('65532:65532');
  expect(image.RootFS.Layers?.slice(0, -1)).toEqual(base.RootFS.Layers);
  expect(image.Size - base.Size).toBeLessThan(100_000);

  const shell = await runInContainer({ image: app, entrypoint: ['/bin/sh'], command: ['-c', 'echo shell'], timeoutSeconds: 30 });
  expect(shell.exitCode).not.toBe(0);
  expect(shell.stdout).not.toContain('shell');
  const gcc = await runInContainer({ image: app, entrypoint: ['/usr/bin/gcc'], command: ['--version'], timeoutSeconds: 30 });
  expect(gcc.exitCode).not.toBe(0);
});
