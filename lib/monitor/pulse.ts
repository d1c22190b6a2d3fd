/**
 * Heartbeats for a poll whose steps can each take a while (loading bookworm's
 * indexes, downloading the tracker's JSON): the current step is re-sent on a
 * timer, so the heartbeat timeout catches a dead worker in seconds without
 * mistaking one slow download for one. Heartbeats are also how an activity
 * learns it was cancelled: `checkCancelled` between units of work.
 *
 * Outside an activity (the CLI) there is no context: steps are no-ops.
 */
import { Context } from '@temporalio/activity';

export interface Pulse {
  step(text: string): void;
  /** A line in the worker log (the activity's logger adds workflow and activity ids). */
  log(level: 'info' | 'warn', message: string, attributes?: Record<string, unknown>): void;
  /** Throws the cancellation reason if the workflow cancelled this activity. */
  checkCancelled(): void;
  stop(): void;
}

export const PULSE_EVERY_MS = 10_000;

export function startPulse(everyMs = PULSE_EVERY_MS): Pulse {
  const ctx = currentContext();
  if (!ctx) return { step: () => undefined, log: () => undefined, checkCancelled: () => undefined, stop: () => undefined };
  let current = 'starting';
  const timer = setInterval(() => ctx.heartbeat(current), everyMs);
  timer.unref();
  return {
    step(text) {
      if (text === current) return;
      current = text;
      ctx.heartbeat(text);
      ctx.log.info(text);
    },
    log(level, message, attributes) {
      ctx.log[level](message, attributes);
    },
    checkCancelled() {
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    },
    stop: () => clearInterval(timer),
  };
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
