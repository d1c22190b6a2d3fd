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
  wf.setHandler(rebuildUpdate, (r) => patcher.requestRebuild(r), { validator: (_r) => patcher.validateRebuild() });
  wf.setHandler(retryUpdate, (r) => patcher.requestRetry(r), { validator: (_r) => patcher.validateRetry() });
  wf.setHandler(pauseUpdate, (r) => patcher.requestPause(r), { validator: (_r) => patcher.validatePause() });
  wf.setHandler(resumeUpdate, (r) => patcher.requestResume(r), { validator: (_r) => patcher.validateResume() });
  wf.setHandler(rollbackUpdate, (r) => patcher.requestRollback(r), { validator: (r) => patcher.validateRollback(r) });
  patcher.announce();

  await wf.condition(() => patcher.hasWork() || patcher.shouldContinueAsNew());
  if (patcher.hasWork()) {
    await patcher.debounce();
    await patcher.runCycle();
  }
  // Signals that arrived meanwhile are in the carried state; handlers must finish before the run closes.
  await wf.condition(wf.allHandlersFinished);
  await wf.continueAsNew<typeof imagePatchWorkflow>({ ...input, state: patcher.snapshot() });
}
