/**
 * A Debian mirror that cannot be reached: the suite holding the image's own
 * package (the local signed apt repository) is configured at a loopback port
 * where nothing listens. Real parts: the compiled worker process and CLI, a
 * Temporal dev server, a registry, the Docker engine; the other suites are
 * the machine's real Debian archive.
 *
 * Promised: the cycle waits and retries (it does not fail and does not call
 * on-call), `tempered status` says why, naming the mirror it cannot reach,
 * nothing is published meanwhile; and once the mirror answers on that
 * address the same cycle completes by itself.
 */
import * as fs from 'node:fs';
import { RegistryClient } from '../../lib/oci/registry';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { imageStatus } from '../../client/status';
import { statePaths } from '../../domain/config';
import { cliEnv, runCli } from '../support/cli';
import { startTcpProxy, type TcpProxy } from '../support/faultProxy';
import { cycleEnded, expectPublishedOnce, Lane, recordOutcome, secondsSince } from '../support/faults';
import { activityRecords } from '../support/history';
import { startStack, type Stack } from '../support/stack';
import { CANARY_DEFINITION, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { until, waitForState } from '../support/wait';

jest.setTimeout(600_000);

const WORKFLOW = 'image:canary:bookworm:runtime';
let upstream: Upstream;
let mirror: TcpProxy;
let stack: Stack;
let lane: Lane;

beforeAll(async () => {
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  const repo = new URL(upstream.repo.url);
  // Closed until the test opens it: to tempered, a mirror whose host refuses connections.
  mirror = await startTcpProxy({ host: repo.hostname, port: Number(repo.port) }, { startDown: true });
  const archive = upstream.archive.split(upstream.repo.url).join(`http://${mirror.host}`);
  stack = await startStack({ workers: false, env: { TEMPERED_CATALOG_DIR: writeCatalog({ canary: CANARY_DEFINITION }), TEMPERED_ARCHIVE: archive } });
  lane = new Lane(stack.config, 'fmirror');
});
afterAll(async () => {
  await lane?.stop();
  await mirror?.close();
  await stack?.stop();
  await upstream?.close();
});

test('mirror unreachable: the cycle waits and retries, status names the mirror, nothing is published; it completes once the mirror is back', async () => {
  const t0 = Date.now();
  const registry = new RegistryClient({ host: stack.registry.host, scheme: 'http' });
  await lane.worker();
  await ensureImageWorkflow(stack.client, lane.config, { kind: 'catalog', name: 'canary', release: 'bookworm', variant: 'runtime' });

  // A few attempts in: still resolving, retried with backoff, the reason on the pending activity.
  const waiting = await until('resolveLock to have failed twice on the mirror', async () => {
    const s = await imageStatus(stack.client, WORKFLOW, true);
    return (s.activity?.attempt ?? 0) >= 3 ? s : undefined;
  }, 120_000, 500);
  expect(waiting.state?.phase).toBe('resolving');
  expect(waiting.state?.failure).toBeUndefined();
  expect(waiting.activity).toMatchObject({ type: 'resolveLock', lastFailure: expect.stringMatching(new RegExp(`ARCHIVE_UNREACHABLE.*http://${mirror.host}/dists/`)) });

  // What on-call sees: the table and the JSON of `tempered status`.
  const table = await runCli(['status', 'canary:bookworm'], cliEnv(lane.config));
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(new RegExp(`resolving.*\\(attempt \\d+[^:]*: ARCHIVE_UNREACHABLE: .*${mirror.host.replace(/\./g, '\\.')}`));
  const json = await runCli(['status', 'canary:bookworm', '--json'], cliEnv(lane.config));
  const [row] = JSON.parse(json.stdout) as { phase: string; activity: { type: string; attempt: number; lastFailure: string } }[];
  expect(row).toMatchObject({ phase: 'resolving', activity: { type: 'resolveLock', lastFailure: expect.stringContaining(mirror.host) } });

  // Nothing built, nothing pushed, nothing tagged.
  expect(await registry.listTags('tempered/canary')).toEqual([]);
  const images = statePaths(stack.config).images;
  expect(fs.existsSync(images) ? fs.readdirSync(images).filter((f) => f.endsWith('.json')) : []).toEqual([]);

  await mirror.up();
  const backAt = Date.now();
  const state = await waitForState(stack.client, WORKFLOW, cycleEnded, 300_000);
  const completedAfterReturn = secondsSince(backAt);
  expect(state.failure).toBeUndefined();
  await expectPublishedOnce(stack, 'tempered/canary', state.published!.digest);
  const resolve = (await activityRecords(stack.client, WORKFLOW)).resolveLock!;
  expect(resolve.completed).toBe(1);
  // The completed attempt came after at least the two failures seen above (attempt 3 was
  // pending; whether more failed before the mirror came back depends only on where the
  // backoff timer fell), and the one just before it failed on the unreachable mirror.
  expect(resolve.attempts).toHaveLength(1);
  expect(resolve.attempts[0]).toBeGreaterThanOrEqual(3);
  expect(resolve.lastFailures.at(-1)).toMatch(/ARCHIVE_UNREACHABLE/);

  recordOutcome('mirror-outage', {
    seconds: secondsSince(t0),
    unreachableSeconds: Math.round((backAt - t0) / 1000),
    resolveAttempts: resolve.attempts[0],
    publishedSecondsAfterMirrorReturned: completedAfterReturn,
    statusLine: table.stdout.split('\n').find((l) => l.includes('canary')),
  });
});
