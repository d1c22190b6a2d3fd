/** `tempered status [IMAGE]`: one row per image workflow. */
import type { Command } from 'commander';
import type { ImageStatus } from '../../client/status';
import { type CascadeState, describeState, missedBase, openAdvisoryIds, platformProgress } from '../../domain/patch/state';
import { displayName, workflowIdFor } from '../../domain/imageId';
import { IMAGE_HELP, imageArgument } from '../arguments';
import { ago, printJson, printTable, shortDigest } from '../output';
import { withClient } from '../runtime';

export function statusRows(statuses: ImageStatus[]) {
  return statuses.map((s) => ({
    image: s.state ? displayName(s.state.image) : s.workflowId,
    workflowId: s.workflowId,
    phase: s.state?.phase ?? s.status.toLowerCase(),
    platforms: s.state?.current?.platforms,
    publishedDigest: s.state?.published?.digest,
    reference: s.state?.published?.reference,
    pending: s.state ? openAdvisoryIds(s.state) : [],
    lastPatched: s.state?.published?.at,
    failure: s.state?.failure ? `${s.state.failure.activity}: ${s.state.failure.message}` : undefined,
    activity: s.activity,
    details: s.state ? describeState(s.state, displayName(s.state.image)) : undefined,
    cascade: s.state?.cascade ? cascadeSummary(s.state.cascade) : undefined,
  }));
}

/** The latest cascade of a base: how far it got, and each customization that did not get the base (with why). */
function cascadeSummary(c: CascadeState) {
  return { baseDigest: c.baseDigest, done: c.done, total: c.total, finished: !!c.finished, missed: missedBase(c) };
}

function cascadeText(c: ReturnType<typeof cascadeSummary> | undefined): string {
  if (!c) return '';
  const missed = c.missed.length ? `, ${c.missed.length} missed` : '';
  return `${c.finished ? '' : 'running '}${c.done}/${c.total}${missed}`;
}

/** "in 12s" for a retry time, "now" once it has passed. */
export function untilText(iso: string, now = Date.now()): string {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  return s <= 0 ? 'now' : s < 120 ? `in ${s}s` : `in ${Math.round(s / 60)}m`;
}

export function printStatusTable(statuses: ImageStatus[]): void {
  const rows = statusRows(statuses);
  printTable(
    ['IMAGE', 'WORKFLOW', 'PHASE', 'PUBLISHED', 'PENDING', 'LAST PATCHED', 'CASCADE'],
    rows.map((r) => [
      r.image,
      r.workflowId,
      r.phase + platformProgress(r.phase, r.platforms) + (r.activity?.queued ? ' (queued)' : r.activity?.step ? `: ${r.activity.step}` : '') + (r.activity?.lastFailure ? ` (attempt ${r.activity.attempt}${r.activity.retryAt ? `, next ${untilText(r.activity.retryAt)}` : ''}: ${r.activity.lastFailure})` : '') + (r.failure ? ` - ${r.failure}` : ''),
      shortDigest(r.publishedDigest),
      r.pending.join(' '),
      ago(r.lastPatched),
      cascadeText(r.cascade),
    ]),
  );
  for (const r of rows) {
    for (const line of r.cascade?.missed ?? []) console.log(`${r.image}: cascade of ${shortDigest(r.cascade?.baseDigest)} missed ${line}`);
  }
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show every image workflow: phase, published digest, pending advisories, last patch')
    .argument('[image]', `one image: ${IMAGE_HELP}`)
    .option('--json', 'print JSON for scripts')
    .action(async (imageText: string | undefined, opts: { json?: boolean }) => {
      const image = imageText === undefined ? undefined : imageArgument(imageText);
      const { allImageStatuses, imageStatus } = require('../../client/status') as typeof import('../../client/status');
      await withClient(async (client) => {
        const statuses = image ? [await imageStatus(client, workflowIdFor(image), true)] : await allImageStatuses(client, true);
        if (opts.json) printJson(statusRows(statuses));
        else printStatusTable(statuses);
      });
    });
}
