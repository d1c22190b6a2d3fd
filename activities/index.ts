/**
 * Every activity, bound to one ActivityContext. Workers register this object;
 * workflows proxy the `Activities` interface (activities/types.ts) and never
 * import this file.
 */
import { assembleIndexActivity, buildActivity } from './build';
import type { Client } from '@temporalio/client';
import { connectClient } from '../client/connect';
import type { ActivityContext } from '../lib/context';
import { explainDiskFull } from '../lib/state/files';
import { dependentsActivities } from './dependents';
import { type MirrorActivities, mirrorActivities } from './mirror';
import { monitorActivities } from './monitor';
import { publishActivity } from './publish';
import { resolveActivity } from './resolve';
import { type RetentionActivities, retentionActivities } from './retention';
import { scanActivity } from './scan';
import { signActivity } from './sign';
import { testActivity } from './test';
import type { Activities, MonitorActivities } from './types';
import { verifyBaseActivity } from './verifyBase';
import { verifyPublishedActivity } from './verifyPublished';
import { type NotifyActivities, webhookActivities } from './webhooks';
import { Notifier } from '../lib/notify/notifier';

export function createActivities(ctx: ActivityContext): Activities & MonitorActivities & NotifyActivities & RetentionActivities & MirrorActivities {
  let client: Promise<Client> | undefined;
  const notifier = new Notifier({ webhooksFile: ctx.config.webhooksFile, temporal: () => (client ??= connectClient(ctx.config)), taskQueue: ctx.config.temporal.orchestrationQueue });
  return withDiskFullExplained(ctx, {
    resolveLock: resolveActivity(ctx),
    buildImage: buildActivity(ctx),
    assembleIndex: assembleIndexActivity(ctx),
    testImage: testActivity(ctx),
    scanImage: scanActivity(ctx),
    signImage: signActivity(ctx),
    publishImage: publishActivity(ctx, notifier),
    verifyBase: verifyBaseActivity(ctx),
    verifyPublished: verifyPublishedActivity(ctx),
    ...dependentsActivities(ctx),
    ...monitorActivities(ctx),
    ...webhookActivities(notifier),
    ...retentionActivities(ctx),
    ...mirrorActivities(ctx),
  });
}

/**
 * Every activity's error passes explainDiskFull: a full disk, wherever in
 * the stage it struck, reaches the pending activity's last failure (what
 * `tempered status` and the UI show) naming the directories to free, not as
 * a bare "ENOSPC: no space left on device, write".
 */
function withDiskFullExplained<T extends object>(ctx: ActivityContext, activities: T): T {
  const directories = { 'state directory': ctx.config.stateDir, 'deb cache': ctx.config.debCache, 'archive cache': ctx.config.archiveCache };
  return Object.fromEntries(
    Object.entries(activities).map(([name, run]) => [
      name,
      async (...args: unknown[]) => {
        try {
          return await (run as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (err) {
          throw explainDiskFull(err, directories);
        }
      },
    ]),
  ) as T;
}
