/**
 * Every activity, bound to one ActivityContext. Workers register this object;
 * workflows proxy the `Activities` interface (activities/types.ts) and never
 * import this file.
 */
import { buildActivity } from './build';
import type { ActivityContext } from './context';
import { dependentsActivities } from './dependents';
import { monitorActivities } from './monitor';
import { publishActivity } from './publish';
import { resolveActivity } from './resolve';
import { scanActivity } from './scan';
import { signActivity } from './sign';
import { testActivity } from './test';
import type { Activities, MonitorActivities } from './types';
import { verifyBaseActivity } from './verifyBase';
import { verifyPublishedActivity } from './verifyPublished';

export function createActivities(ctx: ActivityContext): Activities & MonitorActivities {
  return {
    resolveLock: resolveActivity(ctx),
    buildImage: buildActivity(ctx),
    testImage: testActivity(ctx),
    scanImage: scanActivity(ctx),
    signImage: signActivity(ctx),
    publishImage: publishActivity(ctx),
    verifyBase: verifyBaseActivity(ctx),
    verifyPublished: verifyPublishedActivity(ctx),
    ...dependentsActivities(ctx),
    ...monitorActivities(ctx),
  };
}
