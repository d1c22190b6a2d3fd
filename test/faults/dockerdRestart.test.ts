/**
 * The Docker engine restarted while an image test container runs. The
 * engine is one of the test's own (test/support/dockerd.ts: the shared one
 * on /var/run/docker.sock is never touched), given to the compiled worker
 * process as TEMPERED_DOCKER_SOCKET; a Temporal dev server, a registry and
 * Debian plus a local apt repository are real too.
 *
 * The image under test has a definition command test that runs for twelve
 * seconds (a static busybox as /usr/bin/sleep, shipped by a package of the
 * local repository), as a real image's server test would. The engine's own
 * event stream says when that container has started; a second later the
 * engine gets SIGTERM (what `systemctl restart docker` does) and is started
 * again. A graceful stop lets a container run on for up to 10 s before it
 * SIGKILLs it, so a shorter command would just finish: twelve seconds makes
 * the restart cut the run, the case that matters.
 *
 * Promised: an engine going away is a transient failure, never an image test
 * failure: the test activity is retried once the engine is back, the cycle
 * completes without on-call and publishes one digest with one signature set.
 */
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { startDockerd, type TestDockerd } from '../support/dockerd';
import { completedCounts, cycleEnded, expectPublishedOnce, Lane, recordOutcome, secondsSince } from '../support/faults';
import { activityRecords } from '../support/history';
import { startStack, type Stack } from '../support/stack';
import { canaryPackage, startUpstream, testImageDefinition, type Upstream, writeCatalog } from '../support/upstream';
import { waitForState } from '../support/wait';

jest.setTimeout(600_000);

const WORKFLOW = 'image:sleeper:bookworm:runtime';
const SLEEP = '/usr/bin/sleep';

const SLEEPER_DEFINITION = testImageDefinition({
  name: 'sleeper',
  description: 'test image whose command test runs for a few seconds',
  packages: ['tempered-sleeper'],
  tests: `  - name: a twelve-second command runs to its end\n    command: [${SLEEP}, "12"]`,
});
let upstream: Upstream;
let stack: Stack;
let dockerd: TestDockerd;
let lane: Lane;

beforeAll(async () => {
  // coreutils' sleep (linked against the image's libc6): a runtime image may not hold BusyBox, under any name.
  const sleeper = { name: 'tempered-sleeper', version: '1.0-1', architecture: 'amd64' as const, executables: { [SLEEP]: '/usr/bin/sleep' } };
  [upstream, dockerd] = await Promise.all([startUpstream([canaryPackage('1.0-1'), sleeper]), startDockerd()]);
  stack = await startStack({ workers: false, env: { TEMPERED_CATALOG_DIR: writeCatalog({ sleeper: SLEEPER_DEFINITION }), TEMPERED_ARCHIVE: upstream.archive } });
  lane = new Lane(stack.config, 'fdocker', { TEMPERED_DOCKER_SOCKET: dockerd.socket });
});
afterAll(async () => {
  await lane?.stop();
  await stack?.stop();
  await upstream?.close();
  await dockerd?.stop();
});

/** Resolves with the id of the first test container that runs `command` once it has been running for `afterMs`. */
async function running(command: string, afterMs: number): Promise<{ started: Promise<string>; stop: () => void }> {
  const stream = (await dockerd.docker.getEvents({
    filters: { type: ['container'], event: ['start'], label: ['dev.tempered.test=true'] },
  })) as NodeJS.ReadableStream & { destroy(): void };
  const started = new Promise<string>((resolve) => {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        const { id } = JSON.parse(line) as { id: string };
        void dockerd.docker.getContainer(id).inspect().then(
          (c) => c.Path === command && setTimeout(() => resolve(id), afterMs),
          () => undefined,
        );
      }
    });
  });
  return { started, stop: () => stream.destroy() };
}

test('dockerd restarted during a test container run: the test activity retries and the cycle completes', async () => {
  const t0 = Date.now();
  const watch = await running(SLEEP, 1000);
  await lane.worker();
  await ensureImageWorkflow(stack.client, lane.config, { kind: 'catalog', name: 'sleeper', release: 'bookworm', variant: 'runtime' });

  const container = await watch.started;
  watch.stop();
  const { downMs } = await dockerd.restart();
  const restartedAt = secondsSince(t0);

  const state = await waitForState(stack.client, WORKFLOW, cycleEnded, 300_000);
  expect(state.failure).toBeUndefined();
  const records = await activityRecords(stack.client, WORKFLOW);
  expect(completedCounts(records)).toEqual({ resolveLock: 1, buildImage: 1, testImage: 1, scanImage: 1, signImage: 1, publishImage: 1 });
  // The interrupted attempt failed on the engine, not on the image, and the next one passed.
  const test = records.testImage!;
  expect(test.attempts[0]).toBeGreaterThanOrEqual(2);
  expect(test.lastFailures[0]).toMatch(/killed from outside|socket hang up|ECONNRESET|ECONNREFUSED|ENOENT|EPIPE/);
  expect(test.lastFailures[0]).not.toMatch(/image tests failed/);

  await expectPublishedOnce(stack, 'tempered/sleeper', state.published!.digest);

  const left = await dockerd.docker.listContainers({ all: true, filters: { label: ['dev.tempered.test=true'] } });
  recordOutcome('dockerd-restart', {
    seconds: secondsSince(t0),
    restartedAtSecond: restartedAt,
    engineDownSeconds: downMs / 1000,
    interruptedContainer: container.slice(0, 12),
    testAttempts: test.attempts,
    lastFailure: test.lastFailures[0],
    testContainersLeftOnEngine: left.map((c) => `${c.Id.slice(0, 12)} ${c.State}`),
  });
});
