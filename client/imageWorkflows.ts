/**
 * How an image's patch workflow is started, from anywhere (scripts/up, the
 * CLI, the monitor, the cascade): the same id, task queue, search attributes
 * and summary every time, and signalWithStart so a signal never races the
 * start.
 */
import type { Client, WorkflowHandle, WorkflowSignalWithStartOptions, WorkflowStartOptions } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Config } from '../domain/config';
import { displayName, type ImageRef, workflowIdFor } from '../domain/image';
import { ImageNameKey, ImageReleaseKey, ImageVariantKey, PatchPhaseKey } from '../domain/patch/searchAttributes';
import type { ImagePatchInput } from '../workflows/imageWorkflow';
import type { imagePatchWorkflow } from '../workflows/imageWorkflow';
import { advisorySignal } from '../workflows/messages';

export interface WorkflowSettings {
  debounceSeconds?: number;
  cascadeConcurrency?: number;
  /** Continue-as-new past this many events (tests use small ones). */
  historyLimit?: number;
}

export function imagePatchInput(config: Config, image: ImageRef, settings: WorkflowSettings = {}): ImagePatchInput {
  return {
    image,
    settings: { ...settings, queues: { orchestration: config.temporal.orchestrationQueue, build: config.temporal.buildQueue } },
  };
}

export function startOptions(config: Config, image: ImageRef, settings: WorkflowSettings = {}): WorkflowStartOptions<typeof imagePatchWorkflow> {
  const label = displayName(image);
  return {
    workflowId: workflowIdFor(image),
    taskQueue: config.temporal.orchestrationQueue,
    args: [imagePatchInput(config, image, settings)],
    typedSearchAttributes: new TypedSearchAttributes([
      { key: ImageNameKey, value: image.name },
      { key: ImageVariantKey, value: image.kind === 'catalog' ? image.variant : 'custom' },
      // Set once at start: a run never changes release, so the workflow itself never upserts it.
      ...(image.kind === 'catalog' ? [{ key: ImageReleaseKey, value: image.release }] : []),
      { key: PatchPhaseKey, value: 'idle' },
    ]),
    staticSummary: image.kind === 'catalog' ? `${image.name} ${image.release} ${image.variant} image` : `customized image ${image.name}`,
    staticDetails: `Long-lived patch workflow for ${label}: advisories in, signed images out. Query \`state\` for everything it knows.`,
    workflowIdConflictPolicy: 'USE_EXISTING',
  };
}

/** Starts the workflow unless it runs already; returns its handle either way. */
export async function ensureImageWorkflow(client: Client, config: Config, image: ImageRef, settings: WorkflowSettings = {}): Promise<WorkflowHandle> {
  return client.workflow.start<typeof imagePatchWorkflow>('imagePatchWorkflow', startOptions(config, image, settings));
}

/** Delivers an advisory, starting the workflow first if needed. */
export async function signalAdvisory(client: Client, config: Config, image: ImageRef, advisory: unknown): Promise<void> {
  const options: WorkflowSignalWithStartOptions<[unknown]> & WorkflowStartOptions<typeof imagePatchWorkflow> = {
    ...startOptions(config, image),
    signal: advisorySignal,
    signalArgs: [advisory],
  };
  await client.workflow.signalWithStart<typeof imagePatchWorkflow, [unknown]>('imagePatchWorkflow', options);
}
