/**
 * Delivers what a poll decided, with signalWithStart (client/imageWorkflows.ts
 * startOptions): same workflow id, queue and search attributes as every other
 * starter, so a signal never races a start and an image whose workflow was
 * stopped gets a new one.
 */
import type { Client } from '@temporalio/client';
import { signalAdvisory, startOptions } from '../../client/imageWorkflows';
import type { Advisory } from '../../domain/advisory/record';
import type { Config } from '../../domain/config';
import type { ImageRef } from '../../domain/image';
import type { imagePatchWorkflow } from '../../workflows/imageWorkflow';
import { upstreamSignal } from '../../workflows/messages';

/** The patch workflow keeps at most this many lines of an upstream request; more would only be cut there. */
export const MAX_UPSTREAM_LINES = 50;

export interface Deliverer {
  advisory(image: ImageRef, advisory: Advisory): Promise<void>;
  upstream(image: ImageRef, packages: readonly string[]): Promise<void>;
}

export function temporalDeliverer(client: Client, config: Config): Deliverer {
  return {
    advisory: (image, advisory) => signalAdvisory(client, config, image, advisory),
    async upstream(image, packages) {
      // Only the lines are cut: the cycle resolves the newest of everything, so it takes all of them.
      const lines = packages.slice(0, MAX_UPSTREAM_LINES);
      await client.workflow.signalWithStart<typeof imagePatchWorkflow, [{ packages: string[] }]>('imagePatchWorkflow', {
        ...startOptions(config, image),
        signal: upstreamSignal,
        signalArgs: [{ packages: lines }],
      });
    },
  };
}
