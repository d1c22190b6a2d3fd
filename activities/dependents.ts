/**
 * Activities of the cascade: which customizations sit on an image, and
 * telling a customization's workflow that its base changed (signalWithStart,
 * so a customization added since `scripts/up` gets its workflow then).
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { connectClient } from '../client/connect';
import { startOptions } from '../client/imageWorkflows';
import { customizationBases } from '../domain/customization/load';
import type { ImageRef } from '../domain/image';
import type { imagePatchWorkflow } from '../workflows/imageWorkflow';
import { baseChangedSignal } from '../workflows/messages';
import type { ActivityContext } from '../lib/context';

export function dependentsActivities(ctx: ActivityContext) {
  let client: Promise<Client> | undefined;
  const temporal = () => (client ??= connectClient(ctx.config));

  return {
    /**
     * Every customization naming this image as its base, valid or not: a broken
     * one still gets its cascade child, so its own workflow records the problem
     * and waits for a fix, while one bad file cannot stop the others' cascade.
     */
    async listDependents(input: { image: ImageRef }): Promise<string[]> {
      const { image } = input;
      if (image.kind !== 'catalog') return [];
      const { bases, unreadable } = customizationBases(ctx.config.customizationsDir);
      for (const u of unreadable) Context.current().log.warn('customization skipped by the cascade: its base cannot be read', u);
      return bases.filter((c) => c.base.image === image.name && c.base.release === image.release && c.base.variant === image.variant).map((c) => c.name);
    },

    async notifyImage(input: { image: ImageRef; baseDigest: string; replyTo: string }): Promise<void> {
      await (await temporal()).workflow.signalWithStart<typeof imagePatchWorkflow, [{ baseDigest: string; replyTo?: string }]>('imagePatchWorkflow', {
        ...startOptions(ctx.config, input.image),
        signal: baseChangedSignal,
        signalArgs: [{ baseDigest: input.baseDigest, replyTo: input.replyTo }],
      });
    },
  };
}
