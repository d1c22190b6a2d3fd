/**
 * A worker killed with SIGKILL in the middle of a build: after a new worker
 * starts, the cycle finishes and the image is published exactly once.
 * Real processes: the compiled worker, a Temporal dev server, a registry.
 */
import * as path from 'node:path';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { imageStatus } from '../../client/status';
import { RegistryClient } from '../../activities/oci/registry';
import { completedActivities } from '../support/history';
import { startStack, type Stack } from '../support/stack';
import { CANARY_DEFINITION, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { waitForState } from '../support/wait';
import { startWorkerProcess } from '../support/workerProcess';

jest.setTimeout(900_000);

const WORKFLOW = 'image:canary:dev';
let upstream: Upstream;
let stack: Stack;

beforeAll(async () => {
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  stack = await startStack({ workers: false, env: { TEMPERED_CATALOG_DIR: writeCatalog({ canary: CANARY_DEFINITION }), TEMPERED_ARCHIVE: upstream.archive } });
});
afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

test('SIGKILL during a build: the restarted worker finishes the cycle and publishes once', async () => {
  const log = path.join(stack.stateDir, 'logs', 'workers.log');
  const first = await startWorkerProcess(stack.config, log);
  await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'canary', variant: 'dev' });

  // The dev build runs mmdebstrap for a minute: kill the worker while it does.
  const deadline = Date.now() + 300_000;
  for (;;) {
    const status = await imageStatus(stack.client, WORKFLOW, true);
    if (status.state?.phase === 'building' && /mmdebstrap/.test(status.activity?.step ?? '')) break;
    if (Date.now() > deadline) throw new Error(`never saw the build running: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await first.kill('SIGKILL');

  const second = await startWorkerProcess(stack.config, log);
  try {
    const state = await waitForState(stack.client, WORKFLOW, (s) => !!s.published || s.phase === 'failed');
    expect(state.failure).toBeUndefined();
    const completed = await completedActivities(stack.client, WORKFLOW);
    expect(completed.buildImage).toBe(1);
    expect(completed.signImage).toBe(1);
    expect(completed.publishImage).toBe(1);

    const registry = new RegistryClient({ host: stack.registry.host, scheme: 'http' });
    expect(await registry.resolve('tempered/canary', 'bookworm-dev')).toBe(state.published!.digest);
    const signatures = await registry.getManifest('tempered/canary', `${state.published!.digest.replace(':', '-')}.sig`);
    expect(JSON.parse(signatures!.body.toString()).layers).toHaveLength(1);
  } finally {
    await second.kill('SIGTERM');
  }
});
