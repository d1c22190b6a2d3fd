/**
 * The foundation end to end, real parts only: the base image's patch
 * workflows build, test, sign and publish runtime and dev to a real registry;
 * the runtime image has no shell and runs as 65532; the dev image runs sh.
 */
import { createContext } from '../../lib/context';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { runInContainer } from '../../lib/engine/run';
import { dockerClient } from '../../lib/engine/client';
import { startStack, type Stack } from '../support/stack';
import { waitForState } from '../support/wait';

jest.setTimeout(900_000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function pull(reference: string): Promise<void> {
  const stream = await dockerClient().pull(reference);
  await new Promise((resolve, reject) => dockerClient().modem.followProgress(stream, (err) => (err ? reject(err) : resolve(undefined))));
}

test('base runtime and dev are published by their workflows', async () => {
  const { client, config } = stack;
  for (const variant of ['runtime', 'dev'] as const) await ensureImageWorkflow(client, config, { kind: 'catalog', name: 'base', release: 'trixie', variant });
  const runtime = await waitForState(client, 'image:base:trixie:runtime', (s) => !!s.published || s.phase === 'failed');
  expect(runtime.failure).toBeUndefined();
  expect(runtime.published?.reference).toBe(`${stack.registry.host}/tempered/base:trixie`);

  const reference = runtime.published!.reference;
  await pull(reference);
  const noShell = await runInContainer({ image: reference, command: ['-c', 'echo shell'], entrypoint: ['/bin/sh'], timeoutSeconds: 30 });
  expect(noShell.exitCode).not.toBe(0);
  const inspect = await dockerClient().getImage(reference).inspect();
  expect(inspect.Config.User).toBe('65532:65532');

  const dev = await waitForState(client, 'image:base:trixie:dev', (s) => !!s.published || s.phase === 'failed');
  expect(dev.failure).toBeUndefined();
  await pull(dev.published!.reference);
  const ok = await runInContainer({ image: dev.published!.reference, command: ['sh', '-c', 'echo ok'], timeoutSeconds: 30 });
  expect(ok.stdout).toBe('ok\n');

  // trixie is the newest release: latest and latest-dev follow its tags.
  const registry = createContext(config).registry;
  expect(await registry.resolve('tempered/base', 'latest')).toBe(runtime.published!.digest);
  expect(await registry.resolve('tempered/base', 'latest-dev')).toBe(dev.published!.digest);
});
