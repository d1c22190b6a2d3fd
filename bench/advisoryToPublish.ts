/**
 * Advisory submitted -> new runtime `base` digest published, median of 5,
 * with the time of each activity and the share spent outside activities
 * (orchestration: signals, debounce, workflow tasks, continue-as-new).
 *
 * Real parts: a Temporal dev server, a registry, dockerd, the real `base`
 * package set from the Debian archive, plus one package from a local signed
 * apt repository that receives a new version before each advisory, so every
 * round is a genuine patch (new lock, new digest). The debounce is set to 0
 * so the figure is the pipeline, not the batching window.
 */
import { ensureImageWorkflow, signalAdvisory } from '../client/imageWorkflows';
import { canaryBaseDefinition } from './canaryBase';
import { startStack } from '../test/support/stack';
import { canaryPackage, startUpstream, writeCatalog } from '../test/support/upstream';
import { waitForState } from '../test/support/wait';
import { publishedRunDurations } from './activityDurations';
import { type BenchSection, machineLine, median, seconds } from './report';

const ROUNDS = 5;
const WORKFLOW = 'image:base:bookworm:runtime';


export async function advisoryToPublishBench(repoRoot: string): Promise<BenchSection> {
  const upstream = await startUpstream([canaryPackage('1.0-1')]);
  const stack = await startStack({ env: { TEMPERED_CATALOG_DIR: writeCatalog({ base: canaryBaseDefinition(repoRoot) }), TEMPERED_ARCHIVE: upstream.archive } });
  try {
    await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 0 });
    let state = await waitForState(stack.client, WORKFLOW, (s) => !!s.published && s.phase === 'idle');
    const rounds: { totalMs: number; activities: Record<string, number> }[] = [];
    for (let round = 2; round <= ROUNDS + 1; round++) {
      const version = `1.0-${round}`;
      await upstream.repo.publish([canaryPackage(version)]);
      const before = state.published!.digest;
      const started = Date.now();
      await signalAdvisory(stack.client, stack.config, { kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' }, {
        id: `CVE-2099-${String(round).padStart(4, '0')}`, source: 'tempered-canary', fixedVersion: version, severity: 'high',
      });
      state = await waitForState(stack.client, WORKFLOW, (s) => s.published?.digest !== before || s.phase === 'failed');
      const totalMs = Date.now() - started;
      if (state.phase === 'failed') throw new Error(`round ${round} failed: ${state.failure?.message}`);
      rounds.push({ totalMs, activities: (await publishedRunDurations(stack.client, WORKFLOW)) ?? {} });
      state = await waitForState(stack.client, WORKFLOW, (s) => s.phase === 'idle');
    }
    return section(rounds);
  } finally {
    await stack.stop();
    await upstream.close();
  }
}

function section(rounds: { totalMs: number; activities: Record<string, number> }[]): BenchSection {
  const types = ['resolveLock', 'buildImage', 'testImage', 'scanImage', 'signImage', 'publishImage'];
  const total = median(rounds.map((r) => r.totalMs));
  const inActivities = rounds.map((r) => Object.values(r.activities).reduce((a, b) => a + b, 0));
  const overhead = rounds.map((r, i) => r.totalMs - (inActivities[i] as number));
  const rows = types.map((t) => `| ${t} | ${seconds(median(rounds.map((r) => r.activities[t] ?? 0)))} |`);
  return {
    id: 'advisory-to-publish',
    title: 'Advisory submitted -> new runtime base digest published',
    markdown: [
      `${machineLine()}. ${rounds.length} rounds, each a real patch (new lock, new digest); debounce 0.`,
      '',
      `**Median: ${seconds(total)}** (rounds: ${rounds.map((r) => seconds(r.totalMs)).join(', ')}).`,
      '',
      '| activity (median, scheduled -> completed) | time |',
      '| --- | --- |',
      ...rows,
      `| outside activities (signal, workflow tasks, continue-as-new) | ${seconds(median(overhead))} (${Math.round((median(overhead) / total) * 100)} %) |`,
    ].join('\n'),
  };
}
