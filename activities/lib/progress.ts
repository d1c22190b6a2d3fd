/**
 * Progress of a long activity: heartbeats (so a dead worker is noticed within
 * the heartbeat timeout) carrying the current step, which the CLI and the UI
 * show as pending-activity details, plus a log line per step.
 */
import { Context } from '@temporalio/activity';

export function activityProgress(): (step: string) => void {
  const ctx = safeContext();
  let last = '';
  return (step: string) => {
    if (step === last) return;
    last = step;
    ctx?.heartbeat(step);
    ctx?.log.info(step);
  };
}

function safeContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (the CLI's local build): no heartbeat to send
  }
}
