/**
 * Advisory submitted -> new runtime `base` digest published, beside the
 * naive peer (bench/peers/naiveRebuild.ts) in the same run: each round
 * publishes a new version of one package, then tempered patches and the peer
 * rebuilds, in alternating order, so the ratio per round pair compares the
 * same moment of the machine. Also: the time of each activity, the share
 * spent outside activities (signals, workflow tasks, continue-as-new), and
 * a chart of where a patch's time goes (docs/patch-stages.svg).
 *
 * Real parts: a Temporal dev server, a registry, dockerd, the real `base`
 * package set from the Debian archive, plus one package from a local signed
 * apt repository that receives a new version before each advisory, so every
 * round is a genuine patch (new lock, new digest). The debounce is set to 0
 * so the figure is the pipeline, not the batching window.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureImageWorkflow, signalAdvisory } from '../client/imageWorkflows';
import { allVariantPackages } from '../domain/lock';
import { dockerClient } from '../lib/engine/client';
import { parseArchiveSources } from '../lib/archive/sources';
import { createContext } from '../lib/context';
import { canaryBaseDefinition } from './canaryBase';
import { startStack } from '../test/support/stack';
import { canaryPackage, startUpstream, writeCatalog } from '../test/support/upstream';
import { waitForState } from '../test/support/wait';
import { publishedRun } from './activityDurations';
import { COPA_BINARY, copaAvailable, type CopaPeer, type CopaRound, startCopaPeer } from './peers/copacetic';
import { type NaiveRound, prepareNaivePeer } from './peers/naiveRebuild';
import { type BenchSection, machineLine, median, seconds } from './report';
import { stageChart } from './stageChart';

const ROUNDS = 5;
const WORKFLOW = 'image:base:bookworm:runtime';
const IMAGE = { kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' } as const;
export const PATCH_STAGES = ['resolveLock', 'buildImage', 'testImage', 'scanImage', 'signImage', 'publishImage'] as const;

interface Round {
  totalMs: number;
  activities: Record<string, number>;
  peer: NaiveRound;
  /** Copacetic's targeted patch of the same published image to the same version, when it runs here. */
  copa?: CopaRound;
  order: string[];
}

export async function advisoryToPublishBench(repoRoot: string): Promise<BenchSection> {
  const upstream = await startUpstream([canaryPackage('1.0-1')]);
  const stack = await startStack({ env: { TEMPERED_CATALOG_DIR: writeCatalog({ base: canaryBaseDefinition(repoRoot) }), TEMPERED_ARCHIVE: upstream.archive } });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-bench-peer-'));
  let copa: CopaPeer | undefined;
  try {
    await ensureImageWorkflow(stack.client, stack.config, IMAGE, { debounceSeconds: 0 });
    let state = await waitForState(stack.client, WORKFLOW, (s) => !!s.published && s.phase === 'idle');
    const lock = await createContext(stack.config).locks.load(state.published!.lockDigest);
    const packages = [...new Set(allVariantPackages(lock, 'runtime').map((p) => p.name))];
    console.error(`bench: making the naive peer's Debian base image (mmdebstrap --variant=apt), ${packages.length} packages to install`);
    const sources = parseArchiveSources(JSON.parse(upstream.archive), 'TEMPERED_ARCHIVE');
    const peer = await prepareNaivePeer({ docker: dockerClient(), work, release: 'bookworm', registry: stack.registry.host, sources });
    // Once untimed: the peer's first push uploads its base layer, which a user's registry already has.
    await peer.rebuild(packages);
    if (copaAvailable()) {
      copa = await startCopaPeer({
        work, registry: stack.registry.host, toolingImage: await peer.pushAptImage('peer/debian-tooling:bookworm'),
        mirrorHosts: [...new Set(sources.map((s) => new URL(s.uri).hostname))],
      });
    } else {
      console.error(`bench: Copacetic is not installed (${COPA_BINARY}); scripts/bench installs it`);
    }

    const rounds: Round[] = [];
    for (let round = 2; round <= ROUNDS + 1; round++) {
      const version = `1.0-${round}`;
      await upstream.repo.publish([canaryPackage(version)]);
      const before = state.published!.digest;
      let tempered: { totalMs: number; activities: Record<string, number> } | undefined;
      let naive: NaiveRound | undefined;
      let copaRound: CopaRound | undefined;
      const contestants: [string, () => Promise<void>][] = [
        ['tempered', async () => {
          const started = Date.now();
          await signalAdvisory(stack.client, stack.config, IMAGE, {
            id: `CVE-2099-${String(round).padStart(4, '0')}`, source: 'tempered-canary', fixedVersion: version, severity: 'high',
          });
          state = await waitForState(stack.client, WORKFLOW, (s) => s.published?.digest !== before || s.phase === 'failed');
          if (state.phase === 'failed') throw new Error(`round ${round} failed: ${state.failure?.message}`);
          // The end is when the publish completed in the history, not when the 500 ms state poll saw it.
          const run = await publishedRun(stack.client, WORKFLOW);
          if (!run) throw new Error(`round ${round}: no run of ${WORKFLOW} completed publishImage`);
          state = await waitForState(stack.client, WORKFLOW, (s) => s.phase === 'idle');
          tempered = { totalMs: run.publishedAtMs - started, activities: run.durations };
        }],
        ['naive rebuild', async () => void (naive = await peer.rebuild(packages))],
        ...(copa ? [['copa', async () => {
          copaRound = await copa!.patch(`${stack.registry.host}/tempered/base@${before}`, `copa-${round}`, { name: 'tempered-canary', installed: `1.0-${round - 1}`, fixed: version, advisory: `CVE-2099-${String(round).padStart(4, '0')}` });
        }] as [string, () => Promise<void>]] : []),
      ];
      // Each round starts with the next contestant, so none always runs first (or last) on a warm machine.
      const order = contestants.map((_, i) => contestants[(i + round) % contestants.length]!);
      for (const [, run] of order) await run();
      rounds.push({ ...tempered!, peer: naive!, ...(copaRound ? { copa: copaRound } : {}), order: order.map(([name]) => name) });
      console.error(`bench: round ${round - 1}: tempered ${seconds(tempered!.totalMs)}, naive peer ${seconds(naive!.totalMs)}${copaRound ? `, copa ${seconds((copaRound as CopaRound).totalMs)}` : ''}`);
    }
    const stages = stageMedians(rounds);
    fs.writeFileSync(path.join(repoRoot, 'docs', 'patch-stages.svg'), stageChart(stages, median(rounds.map((r) => r.totalMs)), [
      { name: 'naive rebuild + push', ms: median(rounds.map((r) => r.peer.totalMs)) },
      ...(rounds.every((r) => r.copa) ? [{ name: 'Copacetic targeted patch', ms: median(rounds.map((r) => r.copa!.totalMs)) }] : []),
    ]));
    return section(rounds, stages, packages.length);
  } finally {
    await copa?.stop();
    await stack.stop();
    await upstream.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function stageMedians(rounds: readonly Round[]): { stage: string; ms: number }[] {
  const overhead = median(rounds.map((r) => r.totalMs - Object.values(r.activities).reduce((a, b) => a + b, 0)));
  return [...PATCH_STAGES.map((t) => ({ stage: t, ms: median(rounds.map((r) => r.activities[t] ?? 0)) })), { stage: 'outside activities', ms: overhead }];
}

function section(rounds: readonly Round[], stages: readonly { stage: string; ms: number }[], packageCount: number): BenchSection {
  const total = median(rounds.map((r) => r.totalMs));
  const peer = median(rounds.map((r) => r.peer.totalMs));
  const ratios = rounds.map((r) => r.peer.totalMs / r.totalMs);
  const withCopa = rounds.every((r) => r.copa);
  const copaRatios = withCopa ? rounds.map((r) => r.copa!.totalMs / r.totalMs) : [];
  const overhead = stages.at(-1)!.ms;
  return {
    id: 'advisory-to-publish',
    title: 'Advisory submitted -> new runtime base digest published, beside a naive rebuild and Copacetic',
    markdown: [
      `${machineLine()}. ${rounds.length} rounds, each a real patch (new lock, new digest); debounce 0. In each round the same new package version`,
      `is patched by tempered, rebuilt by the naive peer${withCopa ? ' and patched by Copacetic' : ''}, each round starting with the next of them; ratios are taken per round.`,
      '',
      `**tempered ${seconds(total)} median; naive rebuild ${seconds(peer)}: ${median(ratios).toFixed(1)}x${withCopa ? `; Copacetic targeted patch ${seconds(median(rounds.map((r) => r.copa!.totalMs)))}: ${median(copaRatios).toFixed(1)}x` : ''}** (medians of the per-round ratios).`,
      ...(withCopa ? [] : ['', 'Copacetic was not installed for this run (`scripts/install-tools copa buildkit`; scripts/bench installs them).']),
      '',
      `| round | order | tempered: advisory -> published | naive: build | push | naive total | ratio |${withCopa ? ' Copacetic | ratio |' : ''}`,
      `| --- | --- | --- | --- | --- | --- | --- |${withCopa ? ' --- | --- |' : ''}`,
      ...rounds.map((r, i) => `| ${i + 1} | ${r.order.join(', ')} | ${seconds(r.totalMs)} | ${seconds(r.peer.buildMs)} | ${seconds(r.peer.pushMs)} | ${seconds(r.peer.totalMs)} | ${(ratios[i] as number).toFixed(1)}x |${withCopa ? ` ${seconds(r.copa!.totalMs)} | ${(copaRatios[i] as number).toFixed(1)}x |` : ''}`),
      '',
      '| tempered stage (median, scheduled -> completed) | time |',
      '| --- | --- |',
      ...stages.slice(0, -1).map((s) => `| ${s.stage} | ${seconds(s.ms)} |`),
      `| outside activities (signal, workflow tasks, continue-as-new) | ${seconds(overhead)} (${Math.round((overhead / total) * 100)} %) |`,
      '',
      '![Where a patch\'s time goes, per stage, beside the peers](patch-stages.svg)',
      '',
      `The naive peer is what a team without tempered runs: \`docker build --no-cache\` of a Dockerfile \`FROM\` a local Debian image (mmdebstrap`,
      `\`--variant=apt\` of the same suites, \`docker import\`), \`apt-get update\` and \`apt-get install\` of the ${packageCount} package names in tempered's lock,`,
      'the non-root user, then `docker push` to the same registry. Copacetic (`copa patch -r`, v0.11.0 on BuildKit v0.23.2, bench/peers/copacetic.ts)',
      'patches the image tempered published before the round, in place, to the same package version, from a Trivy-format report naming it,',
      'and pushes it to the same registry; its apt tooling image is the naive peer\'s Debian image (a BuildKit source policy maps',
      '`debian:12-slim` to it) and its end-of-life lookup fails on a closed loopback proxy. Neither peer tests, scans, signs or attests.',
      'tempered\'s time runs from the advisory signal to the `publishImage` completion in the history (the tag moved) and includes',
      'resolving, building, testing in a container, scanning, signing seven attestations and publishing. Before 2026-12-07 the end was when a',
      '500 ms state poll saw the new digest, which added up to half a second to every figure here.',
    ].join('\n'),
  };
}
