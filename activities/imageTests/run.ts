/**
 * Runs every check of one built image and returns a CTRF report. A failed
 * check is a result, not an exception: the caller decides (the test activity
 * turns failures into a non-retryable ImageTestFailed).
 */
import type { VariantSpec } from '../../domain/catalog/effective';
import type { LockedPackage } from '../../domain/lock';
import type { ImageManifest } from '../../domain/oci/image';
import { type CtrfReport, type CtrfTest, ctrfReport } from '../../domain/report/ctrf';
import type { BlobStore } from '../oci/blobStore';
import { loadImage } from '../docker/load';
import { runInContainer } from '../docker/run';
import { type Check, DEV_POLICY, definitionChecks, type ImageFacts, RUNTIME_POLICY, snapshotRequest } from './checks';
import { type CommandTest, DEV_POLICY_COMMANDS, evaluateCommand, NO_SHELL_ENTRYPOINT } from './commands';
import { snapshot } from './probe';

export interface TestTarget {
  spec: VariantSpec;
  digest: string;
  locked: LockedPackage[];
}

export async function runImageTests(target: TestTarget, store: BlobStore, progress: (step: string) => void): Promise<CtrfReport> {
  const start = Date.now();
  const { spec, digest } = target;
  progress('loading the image into docker');
  const manifest = store.readJson<ImageManifest>(digest);
  const image = await loadImage(store, digest, `tempered-test/${spec.image.name}:${spec.image.variant}-${digest.slice(7, 19)}`);
  const config = store.readJson<{ config: ImageFacts['config'] }>(manifest.config.digest).config;

  progress('probing the filesystem');
  const { stat, read } = snapshotRequest(spec, spec.tests);
  const facts: ImageFacts = { spec, config, locked: target.locked, snapshot: await snapshot(image, undefined, stat, read) };
  const checks: Check[] = [...(spec.image.variant === 'runtime' ? RUNTIME_POLICY : DEV_POLICY), ...definitionChecks(spec.tests)];
  const results: CtrfTest[] = checks.map((check) => timed(check.name, check.suite, () => check.run(facts)));

  const commands: { test: CommandTest; suite: string; entrypoint?: string[] }[] = [
    ...(spec.image.variant === 'runtime'
      ? [{ test: NO_SHELL_ENTRYPOINT, suite: 'policy', entrypoint: ['/bin/sh'] }]
      : DEV_POLICY_COMMANDS.map((test) => ({ test, suite: 'policy' }))),
    ...spec.tests.filter((t): t is CommandTest => 'command' in t).map((test) => ({ test, suite: 'definition' })),
  ];
  for (const [i, { test, suite, entrypoint }] of commands.entries()) {
    progress(`command test ${i + 1}/${commands.length}: ${test.name}`);
    const argv = entrypoint ? test.command.slice(1) : test.command;
    const result = await runInContainer({
      image,
      command: argv,
      entrypoint: entrypoint ?? [],
      user: test.user,
      env: test.env,
      timeoutSeconds: test.timeoutSeconds,
    });
    const failure = evaluateCommand(test, result);
    results.push({ name: test.name, suite, status: failure ? 'failed' : 'passed', duration: result.durationMs, ...(failure ? { message: failure } : {}) });
  }
  return ctrfReport(results, { image: spec.image.name, tag: spec.tag, digest, start, stop: Date.now() });
}

function timed(name: string, suite: string, run: () => string | undefined): CtrfTest {
  const t0 = Date.now();
  let failure: string | undefined;
  try {
    failure = run();
  } catch (err) {
    failure = `check crashed: ${(err as Error).message}`;
  }
  return { name, suite, status: failure ? 'failed' : 'passed', duration: Date.now() - t0, ...(failure ? { message: failure } : {}) };
}
