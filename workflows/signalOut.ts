/**
 * Signals from one workflow to another (cascade replies, progress,
 * supersede), awaited. The receiver may be gone (a cascade child that timed
 * out, a coordinator that finished, a terminated base): that, and only that,
 * is ignored. Any other failure fails the workflow task, which Temporal
 * retries, so nothing is silently dropped.
 */
import * as wf from '@temporalio/workflow';
import type { SignalDefinition } from '@temporalio/workflow';

export async function signalWorkflow<A>(workflowId: string, signal: SignalDefinition<[A]>, arg: A): Promise<void> {
  try {
    await wf.getExternalWorkflowHandle(workflowId).signal(signal, arg);
  } catch (err) {
    if (isGone(err)) return;
    throw err;
  }
}

/** The SDK's failure for a signal whose target does not run (core: "Unable to signal external workflow because it was not found"). */
export function isGone(err: unknown): boolean {
  return err instanceof Error && /was not found/i.test(err.message);
}
