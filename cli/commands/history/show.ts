/**
 * `tempered history IMAGE`: the image's patch cycles, oldest first: when,
 * why (advisories, rebuild, upstream, base change, retry, rollback), how long,
 * the outcome, the digest change, the failure, and the run whose event
 * history shows the cycle step by step.
 */
import type { Command } from 'commander';
import type { CycleEntry, ImageHistory } from '../../../client/imageHistory';
import { displayName, workflowIdFor } from '../../../domain/imageId';
import type { PatchState } from '../../../domain/patch/state';
import { IMAGE_HELP, imageArgument } from '../../arguments';
import { cycleDuration, describeFailure, describeReasons, digestChange } from '../../cycleFormat';
import { ago, printJson, printTable, shortDigest } from '../../output';
import { withClient } from '../../runtime';

function outcomeOf(cycle: CycleEntry, state: PatchState): string {
  // A finished cycle that failed changed nothing (a refused rollback): say so, it is not waiting for anyone.
  if (!cycle.current && cycle.outcome === 'failed') return cycle.reasons.some((r) => r.kind === 'rollback') ? 'refused, tag unchanged' : 'failed, nothing changed';
  if (!cycle.current) return cycle.outcome ?? '';
  return state.phase === 'failed' ? 'failed, waiting for retry' : `running (${state.phase})`;
}

export function printHistory(state: PatchState, history: ImageHistory): void {
  const published = state.published ? `${shortDigest(state.published.digest)} (cycle ${state.published.cycle}, ${ago(state.published.at)})` : 'nothing yet';
  const paused = state.paused ? `, paused by ${state.paused.by}: ${state.paused.reason}` : '';
  console.log(`${displayName(state.image)} (${history.workflowId}): phase ${state.phase}${paused}; published ${published}`);
  printTable(
    ['#', 'STARTED', 'TOOK', 'WHY', 'OUTCOME', 'DIGEST', 'FAILURE', 'RUN'],
    history.cycles.map((c) => [
      c.number,
      timestamp(c.startedAt),
      cycleDuration(c),
      describeReasons(c.reasons),
      outcomeOf(c, state),
      digestChange(c),
      // The type says what kind of failure; the whole message follows the table, where it has room.
      c.failure ? `${c.failure.stage}: ${c.failure.activity} ${c.failure.type}` : '',
      c.runId ?? '(expired)',
    ]),
  );
  for (const c of history.cycles.filter((x) => x.failure)) {
    // A finished cycle with a failure was retried to success, or was over at once (a refused rollback).
    const then = c.current ? '' : c.outcome === 'failed' ? ' and changed nothing' : `, then ${c.outcome} after a retry`;
    console.log(`cycle ${c.number} failed at ${timestamp(c.failure!.at)}${then}: ${describeFailure(c.failure)}`);
  }
  // Runs with no cycle: idle runs that continued as new (a signal storm, the server's suggestion), the
  // idle current run, and runs a reset replaced (terminated): list them, so every run id is accounted for.
  const withCycle = new Set(history.cycles.map((c) => c.runId));
  const others = history.runs.filter((r) => !withCycle.has(r.runId)).map((r) => `${r.runId.slice(0, 8)} ${r.status.toLowerCase().replace(/_/g, ' ')}`);
  console.log(`${history.runs.length} run(s)${others.length ? `; without a cycle: ${others.join(', ')}` : ''}. Every event: tempered history export ${displayName(state.image)}`);
}

const timestamp = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function registerHistoryShow(history: Command): void {
  history
    .command('show', { isDefault: true })
    .description('the patch cycles of an image: when, why, digests, outcome, failure, and the run of each')
    .argument('<image>', IMAGE_HELP)
    .option('--json', 'print JSON for scripts')
    .action(async (imageText: string, opts: { json?: boolean }) => {
      const image = imageArgument(imageText);
      const { imageHistory } = require('../../../client/imageHistory') as typeof import('../../../client/imageHistory');
      await withClient(async (client) => {
        const { state, history: h } = await imageHistory(client, workflowIdFor(image));
        if (!opts.json) return printHistory(state, h);
        printJson({
          image: displayName(state.image),
          workflowId: h.workflowId,
          phase: state.phase,
          paused: state.paused,
          published: state.published,
          failure: state.failure,
          cycles: h.cycles,
          runs: h.runs,
        });
      });
    });
}
