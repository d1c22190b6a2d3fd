/**
 * Counts stage activity calls per workflow (image AND variant): FakeUpstream
 * counts per image name only, which lumps `base:runtime` and `base:dev`
 * together, and the storm figures are per workflow.
 */
import type { Activities } from '../../activities/types';
import { type ImageRef, workflowIdFor } from '../../domain/image';

export class StageCounter {
  private readonly counts = new Map<string, number>();

  /** The same activities, each counting its calls under `<activity> <workflow id>` before it runs. */
  wrap(activities: Activities): Activities {
    const wrapped: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(activities) as [string, (input: { image?: ImageRef }) => Promise<unknown>][]) {
      wrapped[name] = (input: { image?: ImageRef }) => {
        if (input?.image) {
          const key = `${name} ${workflowIdFor(input.image)}`;
          this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        }
        return fn(input);
      };
    }
    return wrapped as unknown as Activities;
  }

  count(activity: keyof Activities, workflowId: string): number {
    return this.counts.get(`${activity} ${workflowId}`) ?? 0;
  }
}
