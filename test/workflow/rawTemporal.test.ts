/**
 * Raw Temporal parity: the `temporal workflow ...` commands of the README,
 * run verbatim (workflow id swapped) with the stock temporal CLI, do to one
 * image exactly what the tempered CLI does to another: the same cycles for
 * the same reasons with the same outcomes, the same refusals with the same
 * reasons. Real dev server and worker; stage activities are doubles
 * (fakeStages.ts), since this is about the message API only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureImageWorkflow, signalAdvisory } from '../../client/imageWorkflows';
import type { ImageRef } from '../../domain/image';
import type { CycleRecord, PatchState } from '../../domain/patch/state';
import { type CliResult, cliEnv, runCli, runProcess } from '../support/cli';
import { startTemporal, TEMPORAL_BIN, type TestTemporal } from '../support/temporal';
import { startTestWorker, type TestWorker } from '../support/testWorker';
import { until, waitForState } from '../support/wait';
import { FakeUpstream } from './fakeStages';

jest.setTimeout(240_000);

const README = path.resolve(__dirname, '../../README.md');
const RAW = 'image:raw:bookworm:runtime';
const CLI = 'image:cli:bookworm:runtime';
const image = (name: string): ImageRef => ({ kind: 'catalog', name, release: 'bookworm', variant: 'runtime' });

let temporal: TestTemporal;
let upstream: FakeUpstream;
let tw: TestWorker;

beforeAll(async () => {
  temporal = await startTemporal();
  upstream = new FakeUpstream();
  tw = await startTestWorker(temporal, upstream.activities());
  await Promise.all(['raw', 'cli'].map((name) => ensureImageWorkflow(tw.client, tw.config, image(name), { debounceSeconds: 1 })));
  await Promise.all([RAW, CLI].map((id) => waitForState(tw.client, id, (s) => !!s.published && s.phase === 'idle', 60_000)));
});
afterAll(async () => {
  await tw?.stop();
  await temporal?.stop();
});

/** The README's `temporal workflow ...` commands, continuation lines joined, split into words as sh would. */
function readmeCommands(): Record<string, string[]> {
  const section = fs.readFileSync(README, 'utf8').split('## Raw Temporal works too')[1]?.split('\n## ')[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const commands: Record<string, string[]> = {};
  for (const line of block.replace(/\\\n\s*/g, '').split('\n')) {
    const words = shellWords(line.replace(/\s+#.*$/, ''));
    if (words[0] !== 'temporal' || words[1] !== 'workflow') continue;
    commands[words.includes('--name') ? `${words[2]} ${words[words.indexOf('--name') + 1]}` : (words[2] as string)] = words.slice(1);
  }
  return commands;
}

function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? (m[3] as string));
}

/** A README command against the test server, for the given workflow (TEMPORAL_ADDRESS is the CLI's own env). */
function raw(commands: Record<string, string[]>, key: string, workflowId: string, ...extra: string[]): Promise<CliResult> {
  const words = commands[key];
  if (!words) throw new Error(`README has no "temporal workflow ${key}" example`);
  const args = [...words.map((w) => w.replace('image:base:bookworm:runtime', workflowId).replace(/ImageName="base"/, 'ImageName="raw"')), ...extra];
  return runProcess(TEMPORAL_BIN, args, { TEMPORAL_ADDRESS: temporal.address });
}

const tempered = (...args: string[]) => runCli(args, cliEnv(tw.config));
const json = <T>(r: CliResult): T => {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  return JSON.parse(r.stdout) as T;
};
/** What two images' cycles must share: why they ran and how they ended. */
const shape = (cycles: CycleRecord[]) => cycles.map((c) => ({ reasons: c.reasons.map((r) => r.kind), outcome: c.outcome, failed: c.failure?.type }));
const state = (id: string) => tw.client.workflow.getHandle(id).query<PatchState>('state');

test('the README lists the commands this test runs', () => {
  expect(Object.keys(readmeCommands()).sort()).toEqual(
    // `update rollback` is exercised with the rollback tests (rollback.test.ts), which need a verified earlier digest.
    ['list', 'query state', 'signal advisory', 'update pause', 'update rebuild', 'update resume', 'update retry', 'update rollback'].sort(),
  );
});

test('query state: the same phase and digest as tempered status', async () => {
  const cmds = readmeCommands();
  const queried = json<{ queryResult: PatchState[] }>(await raw(cmds, 'query state', RAW, '-o', 'json')).queryResult[0];
  const status = json<{ workflowId: string; phase: string; publishedDigest: string }[]>(await tempered('status', 'raw:bookworm', '--json'))[0];
  expect(queried?.phase).toBe('idle');
  expect(status).toMatchObject({ workflowId: RAW, phase: queried?.phase, publishedDigest: queried?.published?.digest });
});

test('advisory, rebuild, pause/resume, refusals, failure and retry: the same outcomes both ways', async () => {
  const cmds = readmeCommands();
  upstream.versions.openssl = '3.0.22-1~deb12u2';

  // The advisory of the README, as a raw signal and as the CLI sends it (signalWithStart).
  expect((await raw(cmds, 'signal advisory', RAW)).code).toBe(0);
  await signalAdvisory(tw.client, tw.config, image('cli'), { id: 'CVE-2026-1234', source: 'openssl', fixedVersion: '3.0.22-1~deb12u2', severity: 'high' });
  const afterAdvisory = await Promise.all([RAW, CLI].map((id) => waitForState(tw.client, id, (s) => s.handled.some((h) => h.advisory.id === 'CVE-2026-1234') && s.phase === 'idle', 60_000)));
  for (const s of afterAdvisory) expect(s.handled.find((h) => h.advisory.id === 'CVE-2026-1234')?.verdict).toMatchObject({ status: 'fixed' });

  // rebuild answers with the cycle that will run it.
  const rawRebuild = json<{ name: string; result: { cycle: number } }>(await raw(cmds, 'update rebuild', RAW, '-o', 'json')).result;
  const cliRebuild = json<{ cycle: number; by: string }>(await tempered('rebuild', 'cli:bookworm', '--by', 'alice', '--note', 'new CA bundle', '--wait', '--json'));
  expect(rawRebuild.cycle).toBe(cliRebuild.cycle);
  await waitForState(tw.client, RAW, (s) => s.cycles.some((c) => c.number === rawRebuild.cycle) && s.phase === 'idle', 60_000);
  const rebuilt = await Promise.all([RAW, CLI].map(async (id) => (await state(id)).cycles.find((c) => c.number === rawRebuild.cycle)));
  expect(rebuilt[0]?.reasons).toEqual([{ kind: 'rebuild', by: 'alice', note: 'new CA bundle' }]);
  expect(rebuilt[1]?.reasons).toEqual(rebuilt[0]?.reasons);

  // pause, a refused second pause, resume, a refused second resume, a refused retry: same answers.
  expect((await raw(cmds, 'update pause', RAW)).code).toBe(0);
  expect(json<{ reason: string }>(await tempered('pause', 'cli:bookworm', '--by', 'alice', '--reason', 'registry migration', '--json')).reason).toBe('registry migration');
  const paused = await Promise.all([RAW, CLI].map(state));
  expect(paused.map((s) => [s.phase, s.paused?.by, s.paused?.reason])).toEqual([['paused', 'alice', 'registry migration'], ['paused', 'alice', 'registry migration']]);
  await expectSameRefusal(await raw(cmds, 'update pause', RAW), await tempered('pause', 'cli:bookworm', '--by', 'bob', '--reason', 'again'), /is already paused since .* by alice: registry migration/);
  expect((await raw(cmds, 'update resume', RAW)).code).toBe(0);
  expect(json<{ queued: number }>(await tempered('resume', 'cli:bookworm', '--json')).queued).toBe(0);
  await expectSameRefusal(await raw(cmds, 'update resume', RAW), await tempered('resume', 'cli:bookworm'), /is not paused/);
  await expectSameRefusal(await raw(cmds, 'update retry', RAW), await tempered('retry', 'cli:bookworm'), /has no failed cycle to retry \(phase idle\)/);

  // A failing image test: both stay Running in phase failed, the README's list finds the raw one, retry publishes.
  upstream.failTests = true;
  upstream.versions.openssl = '3.0.23-1~deb12u1';
  const next = { id: 'CVE-2026-2345', source: 'openssl', fixedVersion: '3.0.23-1~deb12u1', severity: 'high' };
  await Promise.all([RAW, CLI].map((id) => tw.client.workflow.getHandle(id).signal('advisory', next)));
  await Promise.all([RAW, CLI].map((id) => waitForState(tw.client, id, (s) => s.phase === 'failed', 60_000)));
  const listed = await waitForListed(cmds);
  expect(listed).toEqual([RAW]);
  upstream.failTests = false;
  expect((await raw(cmds, 'update retry', RAW)).code).toBe(0);
  const retried = json<{ result: { ended: string; outcome: string } }>(await tempered('retry', 'cli:bookworm', '--wait', '--json'));
  expect(retried.result).toMatchObject({ ended: 'finished', outcome: 'published' });
  await waitForState(tw.client, RAW, (s) => s.phase === 'idle' && s.handled.some((h) => h.advisory.id === 'CVE-2026-2345'), 60_000);

  const [rawState, cliState] = await Promise.all([RAW, CLI].map(state));
  expect(shape(rawState!.cycles)).toEqual(shape(cliState!.cycles));
  expect(shape(rawState!.cycles).map((c) => c.outcome)).toEqual(['published', 'published', 'unchanged', 'published']);
  expect(rawState!.cycles.at(-1)?.reasons.map((r) => r.kind)).toEqual(['advisories', 'retry']);
});

/** Both refused (nonzero exit), each printing the validator's reason. */
async function expectSameRefusal(rawResult: CliResult, cliResult: CliResult, reason: RegExp): Promise<void> {
  expect(rawResult.code).not.toBe(0);
  expect(rawResult.stderr + rawResult.stdout).toMatch(reason);
  expect(cliResult.code).toBe(1);
  expect(cliResult.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^error: cli:bookworm ${reason.source}`))]);
}

/** The README's list query (visibility is eventually consistent: poll briefly). */
function waitForListed(cmds: Record<string, string[]>): Promise<string[]> {
  return until(
    `the README's list query to list ${RAW}`,
    async () => {
      const rows = json<{ execution: { workflowId: string } }[]>(await raw(cmds, 'list', RAW, '-o', 'json'));
      return rows.length ? rows.map((r) => r.execution.workflowId) : undefined;
    },
    10_000,
    200,
  );
}
