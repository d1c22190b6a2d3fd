/**
 * The coordinator of one base digest's cascade
 * (`cascade:<name>:<release>:<variant>:<digest12>`): started by the base image's cycle
 * right after it publishes, abandoned by it (the base is free to patch again
 * at once), it rebuilds every customization on the base through one child
 * each (cascade.ts), at most `concurrency` at a time, and reports progress
 * to the base's workflow by signal.
 *
 * A newer digest of the same base supersedes it: the base signals
 * `supersede`, and the coordinator starts no more children (the newer
 * cascade rebuilds those). Children already running finish: the
 * customization's workflow folds the older and the newer base into one build.
 *
 * A customization's child for this digest runs again in a later cascade of
 * the same digest only if it failed (ALLOW_DUPLICATE_FAILED_ONLY): a rebuild
 * of the base that gives the same digest re-runs the cascade for the
 * customizations that did not get it.
 */
import * as wf from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { cascadeCoordinatorId, cascadeWorkflowId, type CatalogImageRef, displayName, legacyCascadeCoordinatorId, withRelease } from '../domain/image';
import type { CascadeProgress, CascadeState, CycleRecord } from '../domain/patch/state';
import type { Queues } from './activityOptions';
import { cascadeLanes, cascadeWorkflow, type StepResult } from './cascade';
import type { ImageEntity } from './imageEntity';
import { cascadeProgressSignal, supersedeSignal } from './messages';
import { Patch } from './patches';
import { signalWorkflow } from './signalOut';

export interface CoordinatorInput {
  base: CatalogImageRef;
  baseDigest: string;
  dependents: string[];
  concurrency: number;
  queues: Queues;
  /** The base image's workflow id: where progress goes. */
  reportTo: string;
}

export async function cascadeCoordinatorWorkflow(recorded: CoordinatorInput): Promise<CascadeProgress> {
  const input = { ...recorded, base: withRelease(recorded.base) };
  let supersededBy: string | undefined;
  wf.setHandler(supersedeSignal, ({ baseDigest }) => {
    supersededBy ??= baseDigest;
  });
  const coordinator = wf.workflowInfo().workflowId;
  const progress: CascadeProgress = { baseDigest: input.baseDigest, total: input.dependents.length, done: 0, failed: [], running: [] };
  const report = (finished?: boolean) => signalWorkflow(input.reportTo, cascadeProgressSignal, { coordinator, progress, ...(finished ? { finished } : {}) });

  await cascadeLanes(progress, input.dependents, input.concurrency, (name) => step(name, input), () => report(), () => supersededBy !== undefined);
  await report(true);
  return progress;
}

async function step(custom: string, input: CoordinatorInput): Promise<StepResult> {
  try {
    const reply = await wf.executeChild(cascadeWorkflow, {
      workflowId: cascadeWorkflowId(custom, input.baseDigest),
      args: [{ custom, base: input.base, baseDigest: input.baseDigest, queues: input.queues }],
      taskQueue: input.queues.orchestration,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      parentClosePolicy: 'ABANDON',
      staticSummary: `cascade ${displayName(input.base)} ${input.baseDigest.slice(7, 19)} -> custom:${custom}`,
    });
    if (reply.outcome === 'deferred') return { kind: 'deferred', detail: reply.detail ?? 'deferred' };
    return { kind: 'applied', detail: reply.outcome };
  } catch (err) {
    // Completed for this digest before (a re-run cascade), or running under an earlier coordinator of it.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { kind: 'applied', detail: 'already-cascaded' };
    if (err instanceof wf.ChildWorkflowFailure) return { kind: 'failed', detail: err.cause?.message ?? err.message };
    throw err;
  }
}

/**
 * The base's side, from its cycle: supersedes the running cascade of an
 * older digest, starts this digest's coordinator (abandoned: it outlives the
 * cycle and the run) and records it. A coordinator of this digest that is
 * still running is left to finish.
 */
export async function startCascade(entity: ImageEntity, cycle: CycleRecord, baseDigest: string, dependents: string[]): Promise<void> {
  const base = entity.image as CatalogImageRef;
  const coordinator = entity.patched(Patch.releaseIds) ? cascadeCoordinatorId(base, baseDigest) : legacyCascadeCoordinatorId(base, baseDigest);
  const older = entity.state.cascade;
  if (older && !older.finished && older.coordinator !== coordinator) {
    await signalWorkflow(older.coordinator, supersedeSignal, { baseDigest });
  }
  try {
    await wf.startChild(cascadeCoordinatorWorkflow, {
      workflowId: coordinator,
      args: [{ base, baseDigest, dependents, concurrency: entity.settings.cascadeConcurrency, queues: entity.settings.queues, reportTo: wf.workflowInfo().workflowId }],
      taskQueue: entity.settings.queues.orchestration,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      parentClosePolicy: 'ABANDON',
      staticSummary: `cascade ${displayName(base)} ${baseDigest.slice(7, 19)} to ${dependents.length} customization(s)`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw err;
  }
  const progress: CascadeProgress = { baseDigest, total: dependents.length, done: 0, failed: [], running: [] };
  const state: CascadeState = { ...progress, cycle: cycle.number, coordinator };
  entity.state.cascade = state;
  cycle.cascade = progress;
}

/** An unchanged rebuild re-runs the cascade of the published digest when some customizations did not get it. */
export function needsRecascade(entity: ImageEntity, digest: string): boolean {
  const cascade = entity.state.cascade;
  return !!cascade && cascade.baseDigest === digest && !!cascade.finished && cascade.failed.length > 0;
}
