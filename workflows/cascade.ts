/**
 * The cascade: after a base image publishes a new digest, every customization
 * built on it is rebuilt, each by a child workflow of the base cycle
 * (`cascade:<custom>:<baseDigest12>`, so a repeat for the same digest is a
 * no-op), at most `concurrency` at a time.
 *
 * A child does not build by itself: it verifies the new base, then hands the
 * rebuild to the customization's own long-lived workflow and waits for its
 * answer. One workflow per image is the only writer of that image, so a
 * cascade and the customization's own advisory never build it twice at once;
 * they meet in one cycle.
 */
import * as wf from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { cascadeWorkflowId, type CatalogImageRef, displayName } from '../domain/image';
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

export async function cascadeWorkflow(input: CascadeInput): Promise<CascadeReply> {
  let reply: CascadeReply | undefined;
  wf.setHandler(cascadeResultSignal, (r) => {
    reply ??= r;
  });
  const acts = stageActivities(input.queues);
  const custom = { kind: 'custom' as const, name: input.custom };
  await acts.verifyBase.executeWithOptions(
    { ...acts.options.network, summary: `verify ${displayName(input.base)} ${input.baseDigest.slice(7, 19)} before building ${input.custom}` },
    [{ image: custom, baseDigest: input.baseDigest }],
  );
  await acts.notifyImage({ image: custom, baseDigest: input.baseDigest, replyTo: wf.workflowInfo().workflowId });
  const answered = await wf.condition(() => reply !== undefined, `${input.waitHours ?? 6} hours`);
  return answered && reply ? reply : { outcome: 'timed-out', detail: `no answer from custom:${input.custom}` };
}

/** Starts and awaits one child per dependent, bounded; returns the final progress. */
export async function runCascade(
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
  const queue = [...dependents];
  const lane = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      progress.running = [...progress.running, name];
      report(progress);
      const outcome = await cascadeOne(name, base, baseDigest, queues);
      progress.running = progress.running.filter((n) => n !== name);
      progress.done++;
      if (outcome !== 'published' && outcome !== 'unchanged' && outcome !== 'up-to-date' && outcome !== 'already-cascaded') {
        progress.failed = [...progress.failed, `${name}: ${outcome}`];
      }
      report(progress);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, dependents.length)) }, lane));
  return progress;
}

async function cascadeOne(custom: string, base: CatalogImageRef, baseDigest: string, queues: Queues): Promise<string> {
  try {
    const reply = await wf.executeChild(cascadeWorkflow, {
      workflowId: cascadeWorkflowId(custom, baseDigest),
      args: [{ custom, base, baseDigest, queues }],
      taskQueue: queues.orchestration,
      // A repeat for the same base digest is refused by the server: that is the no-op we want.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // Children outlive a reset or termination of the base run; they own a customer's build.
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
