/**
 * A base patch followed by its cascade to 20 customized images, with the
 * cascade bounded at the default concurrency and at 1 (one by one): total
 * time, time per child, their ratio, and where a child's time goes. The two
 * bounds alternate over several rounds and medians are compared, so a burst
 * of other work on the machine does not decide the ratio alone.
 *
 * Real parts: a Temporal dev server, a registry, dockerd, the real `base`
 * package set plus one package from a local signed apt repository that gets
 * a new version before each advisory, so each round is a genuine patch (new
 * base digest) and every customization is really rebuilt on it. The 20
 * customizations are what customers write: a config file and environment,
 * some with their own service user, some with an extra Debian package.
 *
 * Both rounds run on one stack: between them the base workflow is restarted
 * with the other cascade bound (its first cycle republishes the same digest,
 * so its cascade is a no-op), and the customizations' first builds are done.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { createContext } from '../lib/context';
import { writeLockFile } from '../lib/locks/lockStore';
import { ensureImageWorkflow } from '../client/imageWorkflows';
import { canaryBaseDefinition } from './canaryBase';
import { DEFAULT_SETTINGS } from '../workflows/imageEntity';
import { advisorySignal, stateQuery } from '../workflows/messages';
import { writeCustomization } from '../test/support/customizations';
import { startStack, type Stack } from '../test/support/stack';
import { canaryPackage, startUpstream, writeCatalog } from '../test/support/upstream';
import { waitForState } from '../test/support/wait';
import { publishedRun } from './activityDurations';
import { cpuByName, cpuSecondsOf, sampleProcesses, stackPart } from './processCpu';
import { type BenchSection, machineLine, median, seconds } from './report';

const CUSTOMIZATIONS = 20;
const BASE = 'image:base:bookworm:runtime';
const names = Array.from({ length: CUSTOMIZATIONS }, (_, i) => `svc-${String(i + 1).padStart(2, '0')}`);
const STAGES = ['resolveLock', 'buildImage', 'testImage', 'scanImage', 'signImage', 'publishImage'] as const;
const ROUNDS_PER_BOUND = Number(process.env.CASCADE_ROUNDS ?? 2);


/** Every 4th has its own service user, every 5th an extra Debian package; all have a config file and env. */
function customization(name: string, i: number): string {
  const user = i % 4 === 3;
  return [
    `name: ${name}`,
    `description: bench customization ${name}`,
    'base: { image: base, variant: runtime }',
    `tagSuffix: ${name}`,
    ...(i % 5 === 4 ? ['packages: [libsqlite3-0]'] : []),
    ...(user ? ['accounts:', '  groups: [{ name: svc, gid: 10001 }]', '  users: [{ name: svc, uid: 10001, gid: 10001, home: /var/lib/svc }]', '  runAs: svc'] : []),
    'files:',
    `  - { path: /etc/${name}/config.toml, content: "service = \\"${name}\\"\\nport = ${8000 + i}\\n", mode: "0640", uid: ${user ? 'svc' : 'nonroot'} }`,
    `environment: { SERVICE_NAME: ${name}, SERVICE_PORT: "${8000 + i}" }`,
    'tests:',
    '  - name: config in place',
    `    file: /etc/${name}/config.toml`,
    `    contains: ${name}`,
    '',
  ].join('\n');
}

interface Round {
  concurrency: number;
  /** Advisory signalled -> new base digest published. */
  baseMs: number;
  /** New base published -> last cascade child done. */
  cascadeMs: number;
  /** Each child workflow, start -> close. */
  childMs: number[];
  /** Per stage, the median over the 20 customization cycles, scheduled -> completed. */
  stages: Record<string, number>;
  /** During the cascade: share of the machine's CPU time busy (every process, not only ours), and CPU seconds used by this process and its children. */
  cpu: { busy: number; ownSeconds: number; byProcess: { name: string; seconds: number }[] };
}

/** Machine-wide busy and total jiffies (/proc/stat), and this process's CPU seconds with its reaped children. */
function cpuSample(): { busy: number; total: number; own: number } {
  const fields = (fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total, own: cpuSecondsOf(fs.readFileSync('/proc/self/stat', 'utf8')) };
}

export async function cascadeBench(repoRoot: string): Promise<BenchSection> {
  const upstream = await startUpstream([canaryPackage('1.0-1')]);
  const catalogDir = writeCatalog({ base: canaryBaseDefinition(repoRoot) });
  names.forEach((name, i) => writeCustomization(catalogDir, name, customization(name, i)));
  const stack = await startStack({ env: { TEMPERED_CATALOG_DIR: catalogDir, TEMPERED_ARCHIVE: upstream.archive } });
  try {
    const rounds: Round[] = [];
    let version = 1;
    const bounds = Array.from({ length: ROUNDS_PER_BOUND }, () => [DEFAULT_SETTINGS.cascadeConcurrency, 1]).flat();
    for (const concurrency of bounds) {
      await restartBase(stack, concurrency);
      await everyCustomizationIdle(stack.client);
      version++;
      await upstream.repo.publish([canaryPackage(`1.0-${version}`)]);
      rounds.push(await round(stack, concurrency, version));
    }
    return section(rounds);
  } finally {
    await stack.stop();
    await upstream.close();
    fs.rmSync(catalogDir, { recursive: true, force: true });
  }
}

/**
 * (Re)starts the base workflow with a cascade bound. A restarted workflow has
 * no state: the lock file beside the definition is set to the published lock
 * first, so its first cycle republishes the same digest (its cascade a no-op).
 */
async function restartBase(stack: Stack, cascadeConcurrency: number): Promise<void> {
  const handle = stack.client.workflow.getHandle(BASE);
  const published = await handle.query(stateQuery).then((s) => s.published, () => undefined);
  if (published) writeLockFile(path.join(stack.config.catalogDir, 'base.lock.json'), await createContext(stack.config).locks.load(published.lockDigest));
  await handle.terminate('bench: restart with another cascade bound').catch(() => undefined);
  await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 0, cascadeConcurrency });
  const s = await waitForState(stack.client, BASE, (st) => (!!st.published && st.phase === 'idle') || st.phase === 'failed', 1_800_000);
  if (s.phase === 'failed') throw new Error(`base failed: ${s.failure?.message}`);
}

async function everyCustomizationIdle(client: Client): Promise<void> {
  for (const name of names) {
    const s = await waitForState(client, `custom:${name}`, (st) => (!!st.published && st.phase === 'idle') || st.phase === 'failed', 1_800_000);
    if (s.phase === 'failed') throw new Error(`${name} failed: ${s.failure?.message}`);
  }
}

async function round(stack: Stack, concurrency: number, version: number): Promise<Round> {
  const { client } = stack;
  const before = (await client.workflow.getHandle(BASE).query(stateQuery)).published?.digest;
  const started = Date.now();
  await client.workflow.getHandle(BASE).signal(advisorySignal, { id: `CVE-2099-9${String(version).padStart(3, '0')}`, source: 'tempered-canary', fixedVersion: `1.0-${version}`, severity: 'high' });
  const publishedState = await waitForState(client, BASE, (s) => s.published?.digest !== before || s.phase === 'failed', 1_800_000);
  const cpuBefore = cpuSample();
  const processesBefore = sampleProcesses();
  if (publishedState.phase === 'failed') throw new Error(`base failed: ${publishedState.failure?.message}`);
  const digest = publishedState.published!.digest;
  const done = await waitForState(client, BASE, (s) => (s.cascade?.baseDigest === digest && !!s.cascade.finished) || s.phase === 'failed', 3_600_000);
  const cpuAfter = cpuSample();
  const byProcess = cpuByName(processesBefore, sampleProcesses(), stackPart);
  const cascade = done.cascade;
  if (!cascade || cascade.done !== CUSTOMIZATIONS || cascade.failed.length > 0) throw new Error(`cascade incomplete: ${JSON.stringify(cascade)}`);
  // Both ends from the server's records, not from when a poll happened to see them.
  const publishedAt = (await publishedRun(client, BASE))?.publishedAtMs;
  if (publishedAt === undefined) throw new Error('the base run that published has no publishImage completion');
  const children = await childTimes(client, digest);
  return {
    concurrency,
    baseMs: publishedAt - started,
    cascadeMs: Math.max(...children.map((c) => c.closedAt)) - publishedAt,
    childMs: children.map((c) => c.closedAt - c.startedAt),
    stages: await stageMedians(client),
    cpu: { busy: (cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total), ownSeconds: cpuAfter.own - cpuBefore.own, byProcess },
  };
}

/** Each cascade child of this base digest: started and closed, by the server's clock. */
async function childTimes(client: Client, baseDigest: string): Promise<{ startedAt: number; closedAt: number }[]> {
  const out: { startedAt: number; closedAt: number }[] = [];
  for (const name of names) {
    const d = await client.workflow.getHandle(`cascade:${name}:${baseDigest.slice(7, 19)}`).describe();
    if (!d.closeTime) throw new Error(`cascade child of ${name} has not closed`);
    out.push({ startedAt: d.startTime.getTime(), closedAt: d.closeTime.getTime() });
  }
  return out;
}

/** The newest run of each customization that built: scheduled -> completed per stage, median over the 20. */
async function stageMedians(client: Client): Promise<Record<string, number>> {
  const perStage: Record<string, number[]> = {};
  for (const name of names) {
    const durations = (await publishedRun(client, `custom:${name}`))?.durations;
    for (const [type, ms] of Object.entries(durations ?? {})) (perStage[type] ??= []).push(ms);
  }
  return Object.fromEntries(Object.entries(perStage).map(([type, values]) => [type, median(values)]));
}

function section(rounds: Round[]): BenchSection {
  const bound = DEFAULT_SETTINGS.cascadeConcurrency;
  const parallel = median(rounds.filter((r) => r.concurrency === bound).map((r) => r.cascadeMs));
  const serial = median(rounds.filter((r) => r.concurrency === 1).map((r) => r.cascadeMs));
  const row = (r: Round) =>
    `| ${r.concurrency} | ${seconds(r.baseMs)} | ${seconds(r.cascadeMs)} | ${seconds(r.cascadeMs / CUSTOMIZATIONS)} | ${seconds(median(r.childMs))} | ${STAGES.map((s) => seconds(r.stages[s] ?? 0)).join(' | ')} | ${Math.round(r.cpu.busy * 100)} % | ${r.cpu.ownSeconds.toFixed(1)} s |`;
  return {
    id: 'cascade',
    title: `Base patch -> cascade to ${CUSTOMIZATIONS} customized images`,
    markdown: [
      `${machineLine()}. One advisory on \`base\` (a real patch: new lock, new digest), then its cascade to ${CUSTOMIZATIONS} customizations`,
      'built on the new base digest (config file and env; every 4th its own service user, every 5th an extra Debian package).',
      `Build queue concurrency ${process.env.TEMPERED_BUILD_CONCURRENCY ?? 2}; the two cascade bounds alternate, ${ROUNDS_PER_BOUND} rounds each.`,
      '',
      `**Cascade, median: ${seconds(parallel)} at concurrency ${bound}, ${seconds(serial)} one by one: ${(parallel / serial).toFixed(2)}x** (per child ${seconds(parallel / CUSTOMIZATIONS)} vs ${seconds(serial / CUSTOMIZATIONS)}).`,
      '',
      `| cascade bound | advisory -> base published | cascade | per child (cascade / ${CUSTOMIZATIONS}) | child workflow (median) | ${STAGES.join(' | ')} | machine CPU busy | CPU of workers + tools |`,
      `| --- | --- | --- | --- | --- | ${STAGES.map(() => '---').join(' | ')} | --- | --- |`,
      ...rounds.map(row),
      '',
      'Stage columns: median over the customizations\' cycles, scheduled -> completed (includes time queued for a build slot).',
      'Machine CPU busy: every process on the machine during the cascade, including whatever else runs; the workers\' CPU excludes',
      'dockerd, containerd, the registry and the Temporal server.',
      '',
      `CPU seconds by process during the cascade (first round at concurrency ${bound}; bench/processCpu.ts):`,
      '',
      '| process | CPU |',
      '| --- | --- |',
      ...(rounds.find((r) => r.concurrency === bound)?.cpu.byProcess ?? []).filter((p) => p.seconds >= 0.05).map((p) => `| ${p.name} | ${p.seconds.toFixed(1)} s |`),
    ].join('\n'),
  };
}
