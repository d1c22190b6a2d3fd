/**
 * How a patch cycle runs one stage: the image shows the stage as its phase,
 * the activity runs with its named options (activityOptions.ts) and a
 * summary for the UI, and a failure comes back as a StageFailure that
 * already says which stage and activity failed and why: the place that
 * knows records it, nothing is tagged onto SDK errors afterwards.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { displayName } from '../domain/image';
import { cycleAdvisoryIds, type FailureRecord, type PatchPhase } from '../domain/patch/state';
import type { ActivityInput, ActivityOutput, ScheduledActivity, StageActivities } from './activityOptions';
import type { ImageEntity } from './imageEntity';

export type Stage = Extract<PatchPhase, 'resolving' | 'building' | 'testing' | 'scanning' | 'signing' | 'publishing' | 'cascading'>;

/** An activity of a stage failed after its retries (or at once, for a non-retryable type). */
export class StageFailure extends Error {
  constructor(
    readonly record: FailureRecord,
    readonly activityFailure: ActivityFailure,
  ) {
    super(record.message);
    this.name = 'StageFailure';
  }
}

export class StageRunner {
  constructor(
    private readonly entity: ImageEntity,
    private readonly acts: StageActivities,
  ) {}

  /**
   * Runs activity `name` as stage `phase`; `what` is the verb the UI shows ("build", "verify new base").
   * `platform`: the architecture a stage of a multi-platform image works on (in the summary); `taskQueue`:
   * where it runs, when not its options' queue (a build of another architecture).
   */
  async run<K extends ScheduledActivity>(phase: Stage, name: K, input: ActivityInput<K>, what: string, on?: { platform?: string; taskQueue?: string }): Promise<ActivityOutput<K>> {
    this.entity.setPhase(phase);
    try {
      return await this.acts.run(name, input, this.summary(what, on?.platform), on?.taskQueue ? { taskQueue: on.taskQueue } : undefined);
    } catch (err) {
      if (err instanceof ActivityFailure) throw new StageFailure(failureRecord(phase, name, err), err);
      throw err;
    }
  }

  private summary(what: string, platform?: string): string {
    const ids = cycleAdvisoryIds(this.entity.state.current);
    return `${what} ${displayName(this.entity.image)}${platform ? ` (${platform})` : ''}${ids.length ? ` for ${ids.slice(0, 3).join(', ')}` : ''}`;
  }
}

function failureRecord(stage: Stage, activity: string, err: ActivityFailure): FailureRecord {
  const cause = err.cause;
  return {
    stage,
    activity,
    type: cause instanceof ApplicationFailure ? (cause.type ?? 'ApplicationFailure') : (cause?.name ?? 'Error'),
    message: (cause?.message ?? err.message).slice(0, 2000),
    at: new Date().toISOString(),
  };
}
