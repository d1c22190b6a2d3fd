/**
 * One step of a cascade: after a base image publishes a new digest, each
 * customization built on it is rebuilt by a child workflow
 * (`cascade:<custom>:<baseDigest12>`) of the cascade's coordinator
 * (cascadeCoordinator.ts).
 *
 * A child does not build by itself: it verifies the new base, then hands the
 * rebuild to the customization's own long-lived workflow and waits for its
 * answer. One workflow per image is the only writer of that image, so a
 * cascade and the customization's own advisory never build it twice at once;
 * they meet in one cycle. A child that did not get its customization onto
 * the base (the cycle failed, the base was refused, no answer in time) fails,
 * so a later cascade of the same digest may run it again.
 */
import * as wf from '@temporalio/workflow';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { cascadeWorkflowId, type CatalogImageRef, displayName, withRelease } from '../domain/image';
import type { CascadeProgress } from '../domain/patch/state';
import { type Queues, stageActivities } from './activityOptions';
import { cascadeResultSignal, type CascadeReply } from './messages';

export interface CascadeInput {
  custom: string;
  base: CatalogImageRef;
  baseDigest: string;
  queues: Queues;
  /** How long to wait for the customization's cycle before reporting it as timed out. */
  waitHours?: number;
}

/** Answers that mean the customization is on the new base, or will be without anyone's help. */
const APPLIED = new Set(['published', 'unchanged', 'up-to-date']);
export const CASCADE_NOT_APPLIED = 'CascadeNotApplied';

export async function cascadeWorkflow(input: CascadeInput): Promise<CascadeReply> {
  let reply: CascadeReply | undefined;
  wf.setHandler(cascadeResultSignal, (r) => {
    reply ??= r;
  });
  const acts = stageActivities(input.queues);
  const custom = { kind: 'custom' as const, name: input.custom };
  await acts.run('verifyBase', { image: custom, baseDigest: input.baseDigest }, `verify ${displayName(withRelease(input.base))} ${input.baseDigest.slice(7, 19)} before building ${input.custom}`);
  await acts.run('notifyImage', { image: custom, baseDigest: input.baseDigest, replyTo: wf.workflowInfo().workflowId });
  const hours = input.waitHours ?? 6;
  const answered = await wf.condition(() => reply !== undefined, `${hours} hours`);
  if (!answered || !reply) throw ApplicationFailure.nonRetryable(`timed out: no answer from custom:${input.custom} in ${hours} hours`, CASCADE_NOT_APPLIED);
  if (!APPLIED.has(reply.outcome) && reply.outcome !== 'deferred') {
    throw ApplicationFailure.nonRetryable(`${reply.outcome}${reply.detail ? `: ${reply.detail}` : ''}`, CASCADE_NOT_APPLIED, reply);
  }
  return reply;
}

/** What became of one customization in a cascade. */
export type StepResult = { kind: 'applied' | 'deferred' | 'failed'; detail: string };

/**
 * Runs `step` for every dependent, at most `concurrency` at once, keeping
 * `progress` current and calling `report` on every change. `stop` is asked
 * before each start: a superseded cascade starts nothing more.
 */
export async function cascadeLanes(
  progress: CascadeProgress,
  dependents: readonly string[],
  concurrency: number,
  step: (name: string) => Promise<StepResult>,
  report: () => Promise<void> | void,
  stop: () => boolean = () => false,
): Promise<void> {
  const queue = [...dependents];
  const lane = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      if (stop()) {
        progress.superseded = [...(progress.superseded ?? []), name];
        continue;
      }
      progress.running = [...progress.running, name];
      await report();
      const result = await step(name);
      progress.running = progress.running.filter((n) => n !== name);
      progress.done++;
      if (result.kind === 'failed') progress.failed = [...progress.failed, `${name}: ${result.detail}`];
      if (result.kind === 'deferred') progress.deferred = [...(progress.deferred ?? []), `${name}: ${result.detail}`];
      await report();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, dependents.length)) }, lane));
}

// ------------------------------------------------------------------ before the coordinator

/**
 * The cascade as base cycles ran it before the coordinator (Patch.cascadeCoordinator):
 * inside the cycle, awaited, a repeat for the same digest refused by the
 * server. Kept so those histories replay; new cycles start a coordinator.
 */
export async function runInlineCascade(
  base: CatalogImageRef,
  baseDigest: string,
  dependents: string[],
  concurrency: number,
  report: (progress: CascadeProgress) => void,
  queues: Queues,
): Promise<CascadeProgress> {
  const progress: CascadeProgress = { baseDigest, total: dependents.length, done: 0, failed: [], running: [] };
  if (dependents.length === 0) return progress;
  report(progress);
  await cascadeLanes(progress, dependents, concurrency, async (name) => {
    const outcome = await inlineStep(name, base, baseDigest, queues);
    return APPLIED.has(outcome) || outcome === 'already-cascaded' ? { kind: 'applied', detail: outcome } : { kind: 'failed', detail: outcome };
  }, () => report(progress));
  return progress;
}

async function inlineStep(custom: string, base: CatalogImageRef, baseDigest: string, queues: Queues): Promise<string> {
  try {
    const reply = await wf.executeChild(cascadeWorkflow, {
      workflowId: cascadeWorkflowId(custom, baseDigest),
      args: [{ custom, base, baseDigest, queues }],
      taskQueue: queues.orchestration,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      parentClosePolicy: 'ABANDON',
      staticSummary: `cascade ${displayName(base)} ${baseDigest.slice(7, 19)} -> custom:${custom}`,
    });
    return reply.outcome;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-cascaded';
    if (err instanceof wf.ChildWorkflowFailure) return `failed: ${err.cause?.message ?? err.message}`;
    throw err;
  }
}
