/**
 * Fault injection for the fault suite, and nothing else: with
 * TEMPERED_FAULT_HOLD=<activity type>[,<activity type>] a worker holds each
 * named activity at its start (heartbeating, so it looks alive) after
 * touching `<TEMPERED_FAULT_DIR>/<activity>.reached`, so a test can SIGKILL
 * or stop something at exactly that stage. Unset (always, in production),
 * the interceptor is not even installed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

export function faultInterceptors(env: NodeJS.ProcessEnv = process.env): ActivityInterceptorsFactory[] {
  const hold = new Set((env.TEMPERED_FAULT_HOLD ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  const dir = env.TEMPERED_FAULT_DIR;
  if (hold.size === 0 || !dir) return [];
  return [
    (ctx: Context) => ({
      inbound: {
        async execute(input, next) {
          const type = ctx.info.activityType;
          if (!hold.has(type)) return next(input);
          fs.mkdirSync(dir, { recursive: true });
          fs.writeFileSync(path.join(dir, `${type}.reached`), `${ctx.info.workflowExecution?.workflowId} attempt ${ctx.info.attempt}\n`);
          for (;;) {
            ctx.heartbeat('held by TEMPERED_FAULT_HOLD');
            await new Promise((r) => setTimeout(r, 1000));
          }
        },
      },
    }),
  ];
}
