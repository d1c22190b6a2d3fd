/**
 * Runs every check of one built image and returns a CTRF report. A failed
 * check is a result, not an exception: the caller decides (the test activity
 * turns failures into a non-retryable ImageTestFailed).
 */
import type { VariantSpec } from '../../domain/catalog/effective';
import type { ImageManifest } from '../../domain/oci/image';
import { type CtrfReport, type CtrfTest, ctrfReport } from '../../domain/report/ctrf';
import { hostArchitecture, type PlatformInfo, platformName } from '../../domain/platform';
import type { BlobStore } from '../oci/blobStore';
import { loadImage } from '../engine/load';
import { runInContainer } from '../engine/run';
import { type Check, DEV_POLICY, definitionChecks, type ImageFacts, type PackageIdentity, RUNTIME_POLICY, SERVICE_USER_RUNTIME_POLICY, snapshotRequest } from './checks';
import { type CommandTest, DEV_POLICY_COMMANDS, evaluateCommand, evaluateShellAttempt, NO_SHELL_TEST_NAME, onThisMachine } from './commands';
import { snapshot } from './probe';

export interface TestTarget {
  spec: VariantSpec;
  digest: string;
  /** Packages the dpkg metadata must list, with versions and sources. */
  locked: readonly PackageIdentity[];
  /** Name in the report and the local docker tag, when not the spec's image (customizations). */
  name?: string;
  /** A customized runtime image may run as any non-root user (SERVICE_USER_RUNTIME_POLICY). */
  serviceUser?: boolean;
  /** The manifest digest of the image this one is built on: loaded first, its layers are not sent to docker again. */
  base?: string;
}

export async function runImageTests(target: TestTarget, store: BlobStore, progress: (step: string) => void): Promise<CtrfReport> {
  const start = Date.now();
  const { spec, digest } = target;
  progress('loading the image into docker');
  const manifest = store.readJson<ImageManifest>(digest);
  const name = target.name ?? spec.image.name;
  const parent = target.base ? await loadImage(store, target.base, `tempered-test/${spec.image.name}:${spec.image.variant}-${target.base.slice(7, 19)}`) : undefined;
  const image = await loadImage(store, digest, `tempered-test/${name}:${spec.image.variant}-${digest.slice(7, 19)}`, parent);
  const imageConfig = store.readJson<{ config: ImageFacts['config'] } & Pick<PlatformInfo, 'architecture' | 'variant'>>(manifest.config.digest);
  const config = imageConfig.config;
  // Every container of an arm64 image runs as arm64 (under emulation on an amd64 host), named explicitly.
  const platform = platformName(imageConfig.architecture);
  const emulated = imageConfig.architecture !== hostArchitecture(process.arch);

  const { stat, read } = snapshotRequest(spec, spec.tests);
  const runtime = spec.image.variant === 'runtime';
  const commands: { test: CommandTest; suite: string }[] = [
    ...(runtime ? [] : DEV_POLICY_COMMANDS.map((test) => ({ test, suite: 'policy' }))),
    ...spec.tests.filter((t): t is CommandTest => 'command' in t).map((test) => ({ test, suite: 'definition' })),
  ];
  progress('probing the filesystem and running the command tests');
  // Each command runs in its own container, side by side with the probe's (which also tries the shell of a
  // runtime image: one container fewer per image, the largest share of a test's CPU).
  const probeStarted = Date.now();
  const [probed, commandResults] = await Promise.all([
    snapshot(image, undefined, stat, read, platform, runtime).then((s) => ({ s, ms: Date.now() - probeStarted })),
    runCommands(image, platform, emulated, commands, progress),
  ]);
  const shellResults: CtrfTest[] = runtime ? [verdict(NO_SHELL_TEST_NAME, 'policy', probed.ms, evaluateShellAttempt(probed.s.shell))] : [];

  const facts: ImageFacts = { spec, config, locked: target.locked, snapshot: probed.s };
  const policy = spec.image.variant === 'dev' ? DEV_POLICY : target.serviceUser ? SERVICE_USER_RUNTIME_POLICY : RUNTIME_POLICY;
  const checks: Check[] = [...policy, ...definitionChecks(spec.tests)];
  const results: CtrfTest[] = [...checks.map((check) => timed(check.name, check.suite, () => check.run(facts))), ...shellResults, ...commandResults];
  return ctrfReport(results, { image: name, tag: spec.tag, digest, start, stop: Date.now() });
}

/** Command tests one after another, each in its own container. */
async function runCommands(image: string, platform: string, emulated: boolean, commands: { test: CommandTest; suite: string }[], progress: (step: string) => void): Promise<CtrfTest[]> {
  const results: CtrfTest[] = [];
  for (const [i, command] of commands.entries()) {
    const { suite } = command;
    const test = onThisMachine(command.test, emulated);
    progress(`command test ${i + 1}/${commands.length}: ${test.name}`);
    const result = await runInContainer({
      image,
      platform,
      command: test.command,
      entrypoint: [],
      user: test.user,
      env: test.env,
      timeoutSeconds: test.timeoutSeconds,
    });
    if (result.killed && result.exitCode !== test.exitCode) {
      // Not a verdict on the image (a dockerd restart stops every container, 10 s later with SIGKILL): a plain
      // error, so the activity retries, instead of a non-retryable ImageTestFailed that waits for on-call.
      throw new Error(
        `command test "${test.name}": its container was killed from outside (exit ${result.exitCode}: the Docker engine stopping or restarting, the OOM killer, or docker kill)`,
      );
    }
    results.push(verdict(test.name, suite, result.durationMs, evaluateCommand(test, result, emulated)));
  }
  return results;
}

function verdict(name: string, suite: string, duration: number, failure: string | undefined): CtrfTest {
  return { name, suite, status: failure ? 'failed' : 'passed', duration, ...(failure ? { message: failure } : {}) };
}

function timed(name: string, suite: string, run: () => string | undefined): CtrfTest {
  const t0 = Date.now();
  let failure: string | undefined;
  try {
    failure = run();
  } catch (err) {
    failure = `check crashed: ${(err as Error).message}`;
  }
  return verdict(name, suite, Date.now() - t0, failure);
}
