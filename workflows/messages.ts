/**
 * The message API of the patch workflows, in one place so the workflows, the
 * CLI and the monitor share the exact names and payloads. The README shows
 * the same names used with plain `temporal workflow signal|query|update`.
 *
 * Signals carry facts that may arrive from anywhere at any time and need no
 * answer (an advisory, an upstream change, a new base digest): they queue in
 * workflow state. Updates carry requests whose caller needs an answer or a
 * reasoned refusal (rebuild, retry, pause, resume): their validators reject
 * without writing history.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PatchState } from '../domain/patch/state';

/** An advisory record (domain/advisory/record.ts) or the CLI shape `{id, source, fixedVersion?, severity?}`. */
export const advisorySignal = defineSignal<[unknown]>('advisory');
/** Newer versions of packages in the image were seen in the archive: `{packages: ["libssl3 3.0.16-1~deb12u1"]}`. */
export const upstreamSignal = defineSignal<[{ packages: string[] }]>('upstream');
/** A customization's base has a new digest; `replyTo` is the cascade child waiting for the outcome. */
export const baseChangedSignal = defineSignal<[{ baseDigest: string; replyTo?: string }]>('baseChanged');

export interface CascadeReply {
  outcome: string;
  digest?: string;
  detail?: string;
  image?: string;
}
/** Sent by a customization's workflow to the cascade child that asked for a rebuild. */
export const cascadeResultSignal = defineSignal<[CascadeReply]>('cascadeResult');

export const stateQuery = defineQuery<PatchState>('state');

export interface Requester {
  by: string;
}
export const rebuildUpdate = defineUpdate<{ cycle: number; queuedBehind?: number }, [Requester & { note?: string }]>('rebuild');
export const retryUpdate = defineUpdate<{ cycle: number; failedStage: string }, [Requester]>('retry');
export const pauseUpdate = defineUpdate<{ pausedAt: string; cycleInFlight?: number }, [Requester & { reason: string }]>('pause');
export const resumeUpdate = defineUpdate<{ resumedAt: string; queued: number }, [Requester]>('resume');
/**
 * Re-points the image's tag to an earlier published digest after verifying
 * its signature and provenance, recording who and why as a cycle of its own.
 * Refused while a cycle runs, for a digest this image never published, or for
 * the digest already published.
 */
export const rollbackUpdate = defineUpdate<{ cycle: number }, [Requester & { digest: string; reason: string }]>('rollback');
