/**
 * imagePatchWorkflow: one long-lived workflow per image and variant
 * (`image:<name>:<release>:<variant>`, customizations `custom:<name>`). It waits for
 * work (advisories, upstream changes, a new base, on-call requests), runs
 * one patch cycle at a time (patchCycle.ts), sends the replies its cycles
 * and handlers queued, and continues as new after each cycle, and whenever
 * its history grows long, failed or not: everything it knows is in the
 * carried state (domain/patch/state.ts), so a run is never the only place
 * something lives.
 */
import * as wf from '@temporalio/workflow';
import { type RecordedImageRef, withRelease } from '../domain/image';
import type { PatchState } from '../domain/patch/state';
import { DEFAULT_SETTINGS, ImageEntity, type PatchSettings } from './imageEntity';
import {
  advisorySignal, baseChangedSignal, cascadeProgressSignal, pauseUpdate, rebuildUpdate, resumeUpdate, retryUpdate, rollbackUpdate, stateQuery, upstreamSignal,
} from './messages';
import { PatchCycle } from './patchCycle';

export interface ImagePatchInput {
  image: RecordedImageRef;
  settings: Partial<Omit<PatchSettings, 'queues'>> & Pick<PatchSettings, 'queues'>;
  /** Carried by continue-as-new. */
  state?: PatchState;
  /** Carried by continue-as-new: the patch ids in effect in the run before (ImageEntity.patched). */
  patches?: string[];
}

export async function imagePatchWorkflow(input: ImagePatchInput): Promise<void> {
  const entity = new ImageEntity(withRelease(input.image), { ...DEFAULT_SETTINGS, ...input.settings }, input.state, input.patches);
  listen(entity);
  entity.announce();
  const cycles = new PatchCycle(entity);

  for (;;) {
    await wf.condition(() => entity.hasWork() || entity.hasReplies() || entity.shouldContinueAsNew());
    await entity.sendReplies();
    if (entity.hasWork()) {
      const end = await cycles.run();
      await entity.sendReplies();
      // Every ended cycle closes the run; a failed one waits here for its retry (or continues as new meanwhile).
      if (end === 'ended') break;
    } else if (entity.shouldContinueAsNew()) {
      break;
    }
  }
  // Drain before closing the run. Signal handlers are synchronous and the SDK runs every signal and update of an
  // activation before this code resumes, so whatever arrived meanwhile is in the state now; an update handler still
  // running is awaited. A signal the server accepts while this last task is being completed makes it refuse the
  // continue-as-new (UnhandledCommand) and hand the run a new task with that signal: nothing is lost, the new task
  // gets here again. Replies queued meanwhile are sent first (a signal sent in the task that closes the run is
  // dropped by the server); any left are carried. The state is carried within its byte budget (fitForCarry).
  await wf.condition(wf.allHandlersFinished);
  await entity.sendReplies();
  await wf.continueAsNew<typeof imagePatchWorkflow>({ ...input, state: entity.carried(), patches: entity.patchesInEffect() });
}

function listen(entity: ImageEntity): void {
  wf.setHandler(stateQuery, () => entity.state);
  wf.setHandler(advisorySignal, (payload) => entity.receiveAdvisory(payload));
  wf.setHandler(upstreamSignal, (update) => entity.receiveUpstream(update));
  wf.setHandler(baseChangedSignal, (change) => entity.receiveBaseChanged(change));
  wf.setHandler(cascadeProgressSignal, (report) => entity.receiveCascadeProgress(report));
  wf.setHandler(rebuildUpdate, (r) => entity.requestRebuild(r), { validator: (r) => entity.validateRebuild(r) });
  wf.setHandler(retryUpdate, (r) => entity.requestRetry(r), { validator: (r) => entity.validateRetry(r) });
  wf.setHandler(pauseUpdate, (r) => entity.requestPause(r), { validator: (r) => entity.validatePause(r) });
  wf.setHandler(resumeUpdate, (r) => entity.requestResume(r), { validator: (r) => entity.validateResume(r) });
  wf.setHandler(rollbackUpdate, (r) => entity.requestRollback(r), { validator: (r) => entity.validateRollback(r) });
}
