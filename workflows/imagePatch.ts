/**
 * imagePatchWorkflow: one long-lived workflow per image and variant
 * (`image:<name>:<variant>`, customizations `custom:<name>`). It waits for
 * work (advisories, upstream changes, a new base, on-call requests), runs one
 * patch cycle at a time (see ImagePatcher.runCycle), and continues as new
 * after each cycle so every run's history stays one cycle long.
 */
import * as wf from '@temporalio/workflow';
import type { ImageRef } from '../domain/image';
import type { PatchState } from '../domain/patch/state';
import { DEFAULT_SETTINGS, ImagePatcher, type PatchSettings } from './imagePatcher';
import {
  advisorySignal, baseChangedSignal, pauseUpdate, rebuildUpdate, resumeUpdate, retryUpdate, rollbackUpdate, stateQuery, upstreamSignal,
} from './messages';

export * from './messages';

export interface ImagePatchInput {
  image: ImageRef;
  settings: Partial<Omit<PatchSettings, 'queues'>> & Pick<PatchSettings, 'queues'>;
  /** Carried by continue-as-new. */
  state?: PatchState;
}

export async function imagePatchWorkflow(input: ImagePatchInput): Promise<void> {
  const patcher = new ImagePatcher(input.image, { ...DEFAULT_SETTINGS, ...input.settings }, input.state);

  wf.setHandler(stateQuery, () => patcher.snapshot());
  wf.setHandler(advisorySignal, (payload) => patcher.receiveAdvisory(payload));
  wf.setHandler(upstreamSignal, (update) => patcher.receiveUpstream(update));
  wf.setHandler(baseChangedSignal, (change) => patcher.receiveBaseChanged(change));
  wf.setHandler(rebuildUpdate, (r) => patcher.requestRebuild(r), { validator: (r) => patcher.validateRebuild(r) });
  wf.setHandler(retryUpdate, (r) => patcher.requestRetry(r), { validator: (r) => patcher.validateRetry(r) });
  wf.setHandler(pauseUpdate, (r) => patcher.requestPause(r), { validator: (r) => patcher.validatePause(r) });
  wf.setHandler(resumeUpdate, (r) => patcher.requestResume(r), { validator: (r) => patcher.validateResume(r) });
  wf.setHandler(rollbackUpdate, (r) => patcher.requestRollback(r), { validator: (r) => patcher.validateRollback(r) });
  patcher.announce();

  await wf.condition(() => patcher.hasWork() || patcher.shouldContinueAsNew());
  if (patcher.hasWork()) {
    await patcher.debounce();
    await patcher.runCycle();
  }
  // Drain before closing the run. Signal handlers are synchronous and the SDK runs every signal and update of an
  // activation before this code resumes, so whatever arrived meanwhile is in the state now; an update handler still
  // running is awaited. A signal the server accepts while this last task is being completed makes it refuse the
  // continue-as-new (UnhandledCommand) and hand the run a new task with that signal: nothing is lost, the new task
  // gets here again. The state is carried within its byte budget (domain/patch/state.ts fitForCarry).
  await wf.condition(wf.allHandlersFinished);
  await wf.continueAsNew<typeof imagePatchWorkflow>({ ...input, state: patcher.carried() });
}
