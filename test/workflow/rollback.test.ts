/**
 * `tempered rollback` and the README's raw `update rollback` against the
 * workflow's rollback update, on a real dev server and worker with the stage
 * doubles: it re-points the tag to a digest the image published before and
 * records a cycle that says who and why; the validator refuses the current
 * digest, a digest the image never published, and any rollback while a cycle
 * is open, and the CLI prints its reason in one line with exit 1; a digest
 * that no longer verifies ends its cycle with the image left as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import type { ImageRef } from '../../domain/image';
import type { PatchState } from '../../domain/patch/state';
import { rebuildUpdate, stateQuery } from '../../workflows/messages';
import { type CliResult, cliEnv, runCli, runProcess } from '../support/cli';
import { startRegistry, type TestRegistry } from '../support/registry';
import { startTemporal, TEMPORAL_BIN, type TestTemporal } from '../support/temporal';
import { startTestWorker, type TestWorker } from '../support/testWorker';
import { waitForState } from '../support/wait';
import { FakeUpstream } from './fakeStages';

jest.setTimeout(240_000);

const ID = 'image:rb:bookworm:runtime';
const image: ImageRef = { kind: 'catalog', name: 'rb', release: 'bookworm', variant: 'runtime' };
const short = (digest: string) => digest.slice('sha256:'.length, 'sha256:'.length + 12);

let server: TestTemporal;
/** Only for the CLI's pre-flight check that the registry answers (the stage doubles never touch it). */
let registry: TestRegistry;
let upstream: FakeUpstream;
let tw: TestWorker;
/** Holds the image test of the next cycle until released, to have a cycle open on purpose. */
let gate: Promise<void> | undefined;

beforeAll(async () => {
  [server, registry] = await Promise.all([startTemporal(), startRegistry()]);
  upstream = new FakeUpstream();
  const stages = upstream.activities();
  tw = await startTestWorker(server, {
    ...stages,
    testImage: async (input) => {
      await gate;
      return stages.testImage(input);
    },
  });
});
afterAll(async () => {
  await tw?.stop();
  await Promise.all([server?.stop(), registry?.stop()]);
});

const tempered = (...args: string[]) => runCli(args, cliEnv(tw.config, { TEMPERED_REGISTRY: registry.host }));
const state = () => tw.client.workflow.getHandle(ID).query(stateQuery);
const oneLineRefusal = (r: CliResult) => {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] as string;
};

async function publishNewDigest(version: string): Promise<PatchState> {
  upstream.versions.openssl = version;
  const { cycle } = await tw.client.workflow.getHandle(ID).executeUpdate(rebuildUpdate, { args: [{ by: 'test', note: version }] });
  return waitForState(tw.client, ID, (s) => s.cycles.some((c) => c.number === cycle) && s.phase === 'idle', 60_000);
}

function rawRollback(digest: string): Promise<CliResult> {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const line = /temporal workflow update execute --workflow-id image:base:bookworm:runtime --name rollback \\\n\s*--input '([^']+)'/.exec(readme);
  if (!line) throw new Error('README has no rollback example');
  const input = (line[1] as string).replace(/sha256:<[^>]+>/, digest);
  const args = ['workflow', 'update', 'execute', '--workflow-id', ID, '--name', 'rollback', '--input', input, '-o', 'json'];
  return runProcess(TEMPORAL_BIN, args, { TEMPORAL_ADDRESS: server.address });
}

test('rollback to an earlier digest moves the tag, is recorded with who and why, and refuses what it must', async () => {
  await ensureImageWorkflow(tw.client, tw.config, image, { debounceSeconds: 1 });
  const first = (await waitForState(tw.client, ID, (s) => !!s.published && s.phase === 'idle', 60_000)).published!.digest;
  const second = (await publishNewDigest('3.0.40-1~deb12u1')).published!.digest;
  expect(second).not.toBe(first);

  // Refused by the validator, with its reason: the current digest, and one this image never published.
  expect(oneLineRefusal(await tempered('rollback', 'rb:bookworm', short(second), '--reason', 'no-op'))).toMatch(/^error: .*(current|already|published now)/i);
  expect(oneLineRefusal(await tempered('rollback', 'rb:bookworm', `sha256:${'f'.repeat(64)}`, '--reason', 'typo'))).toMatch(/^error: .*(never|not) published/i);

  // Accepted: the tag moves back, and the cycle says who and why.
  const done = await tempered('rollback', 'rb:bookworm', short(first), '--by', 'alice', '--reason', 'bad openssl', '--json');
  expect(done.code).toBe(0);
  const answer = JSON.parse(done.stdout) as { cycle: number; from: string; to: string };
  expect(answer).toMatchObject({ from: second, to: first });
  const after = await state();
  expect(after.published?.digest).toBe(first);
  const recorded = after.cycles.find((c) => c.number === answer.cycle);
  expect(recorded?.reasons).toContainEqual({ kind: 'rollback', digest: first, by: 'alice', reason: 'bad openssl' });
  expect((await tempered('history', 'rb:bookworm')).stdout).toContain(`rollback to ${short(first)} by alice: bad openssl`);

  // The README's raw command rolls forward again, the same way: it answers with the cycle, which then moves the tag.
  const raw = await rawRollback(second);
  expect(raw.code).toBe(0);
  const rawCycle = (JSON.parse(raw.stdout) as { result: { cycle: number } }).result.cycle;
  expect(rawCycle).toBeGreaterThan(answer.cycle);
  const forward = await waitForState(tw.client, ID, (s) => s.cycles.some((c) => c.number === rawCycle), 60_000);
  expect(forward.published?.digest).toBe(second);
  expect(forward.cycles.at(-1)).toMatchObject({ outcome: 'rolled-back', previousDigest: first, digest: second });
});

test('a rollback target that no longer verifies is refused in its cycle, and the tag stays', async () => {
  const before = await state();
  const earlier = before.cycles.find((c) => c.outcome === 'published' && c.digest !== before.published?.digest)?.digest as string;
  upstream.refuseRollback = true;
  try {
    const r = await tempered('rollback', 'rb:bookworm', earlier, '--reason', 'try the unsigned one');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/refused \(RollbackRefused\)/);
    // Progress lines ("cycle 5: signing - verifyPublished") may come first on a slow machine; the one error is last.
    const errors = r.stderr.trimEnd().split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual([expect.stringMatching(/^error: cycle \d+ of rb:bookworm failed and changed nothing \(signing: verifyPublished RollbackRefused: .*no signature\)$/)]);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(errors[0]);
  } finally {
    upstream.refuseRollback = false;
  }
  const after = await state();
  expect(after.published?.digest).toBe(before.published?.digest);
  expect(after.cycles.at(-1)).toMatchObject({ outcome: 'failed', failure: { type: 'RollbackRefused' } });
  expect(after.phase).toBe('idle');
});

test('rollback is refused while a cycle is open', async () => {
  const before = await state();
  const earlier = before.cycles.find((c) => c.outcome === 'published' && c.digest !== before.published?.digest)?.digest as string;
  let release!: () => void;
  gate = new Promise((r) => (release = r));
  upstream.versions.openssl = '3.0.41-1~deb12u1';
  await tw.client.workflow.getHandle(ID).executeUpdate(rebuildUpdate, { args: [{ by: 'test' }] });
  await waitForState(tw.client, ID, (s) => s.phase === 'testing', 30_000);
  try {
    expect(oneLineRefusal(await tempered('rollback', 'rb:bookworm', earlier, '--reason', 'mid-cycle'))).toMatch(/^error: .*cycle/i);
  } finally {
    release();
    gate = undefined;
  }
  await waitForState(tw.client, ID, (s) => s.phase === 'idle', 60_000);
});
