/**
 * Progress of a long activity. Each step is logged and sent as a heartbeat,
 * and the last step is re-sent every few seconds while the activity runs, so
 * a short heartbeat timeout notices a dead worker within seconds even during
 * a minute-long mmdebstrap run. The CLI and the UI show the step as the
 * pending activity's heartbeat details.
 */
import { Context } from '@temporalio/activity';

const BEAT_MS = 5_000;

import type { Progress } from '../lib/progress';

export type { Progress };

/** Runs `body` with a progress reporter that heartbeats; outside an activity it only logs nothing. */
export async function withProgress<T>(body: (progress: Progress) => Promise<T>): Promise<T> {
  const ctx = currentContext();
  let last: string | undefined;
  const beat = () => ctx?.heartbeat(last);
  const timer = ctx ? setInterval(beat, BEAT_MS) : undefined;
  const progress: Progress = (step) => {
    if (step === last) return;
    last = step;
    beat();
    ctx?.log.info(step);
  };
  try {
    beat();
    return await body(progress);
  } finally {
    if (timer) clearInterval(timer);
  }
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (the CLI's local build): nothing to heartbeat
  }
}
