/**
 * A worker process for orchestration-only fault tests: the production setup
 * (workers/run.ts: both task queues, the signal handlers, the grace times)
 * with the stage doubles of test/workflow/fakeStages.ts, one of them made
 * slow. Started by startWorkerProcess(..., FAKE_STAGES_WORKER) through tsx.
 *
 *   TEMPERED_FAKE_SLOW=buildImage=8000   hold that activity 8 s (heartbeating, cancellable)
 *   TEMPERED_FAKE_MARKS=DIR              append "<event> <activity> attempt=<n> pid=<pid>" to DIR/marks.log
 *   TEMPERED_FAKE_GRACE="2 seconds"      shutdownGraceTime instead of the per-role defaults
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancelledFailure, Context } from '@temporalio/activity';
import type { Duration } from '@temporalio/common';
import type { Activities } from '../../activities/types';
import { runWorkers } from '../../workers/run';
import { FakeUpstream } from '../workflow/fakeStages';
import { workflowBundle } from './bundle';

export const FAKE_STAGES_WORKER = __filename;

function mark(event: string, activity: string): void {
  const dir = process.env.TEMPERED_FAKE_MARKS;
  if (!dir) return;
  const attempt = Context.current().info.attempt;
  fs.appendFileSync(path.join(dir, 'marks.log'), `${event} ${activity} attempt=${attempt} pid=${process.pid}\n`);
}

/** Wraps one activity so it takes `ms`, heartbeating like a real build and stopping when cancelled. */
function slowed<A extends unknown[], R>(name: string, ms: number, run: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const ctx = Context.current();
    mark('started', name);
    try {
      for (const until = Date.now() + ms; Date.now() < until; ) {
        ctx.heartbeat(`slow ${name}`);
        await ctx.sleep(Math.min(250, until - Date.now()));
      }
    } catch (err) {
      if (err instanceof CancelledFailure) mark('cancelled', name);
      throw err;
    }
    const result = await run(...args);
    mark('finished', name);
    return result;
  };
}

function activities(): Activities {
  const stages = new FakeUpstream().activities();
  const [name, ms] = (process.env.TEMPERED_FAKE_SLOW ?? '').split('=');
  if (!name || !ms) return stages;
  const slow = name as keyof Activities;
  return { ...stages, [slow]: slowed(slow, Number(ms), stages[slow] as (...args: unknown[]) => Promise<unknown>) } as Activities;
}

if (require.main === module) {
  void (async () => {
    const grace = process.env.TEMPERED_FAKE_GRACE;
    await runWorkers(['orchestration', 'build'], {
      activities: activities(),
      workflowBundle: await workflowBundle(),
      ...(grace ? { shutdownGraceTime: grace as Duration } : {}),
    });
  })().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
