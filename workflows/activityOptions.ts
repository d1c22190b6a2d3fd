/**
 * Every activity's options, named once, by the retry behaviour it needs.
 * Transient causes (registry, docker daemon, archive mirror) retry with
 * capped exponential backoff; invalid input and failed image tests are
 * thrown as non-retryable ApplicationFailures by the activities and come
 * back to the workflow at once. A call adds only its summary for the UI.
 *
 * Only the build runs on a build queue, with small concurrency: it is
 * CPU- and disk-bound (dev builds of another architecture go to that
 * architecture's queue, buildQueueOf). Everything else is short or waits on
 * I/O and runs on the orchestration queue, so a quick image test never
 * queues behind two minute-long dev builds.
 */
import { type ActivityOptions, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/types';
import { ErrorType } from '../domain/patch/errors';

const nonRetryableErrorTypes = Object.values(ErrorType);

export interface Queues {
  orchestration: string;
  build: string;
}

/** The activities a workflow schedules (listDependents is a local activity: a catalog lookup). */
export type ScheduledActivity = Exclude<keyof Activities, 'listDependents'>;

export function activityOptions(queues: Queues): Record<ScheduledActivity, ActivityOptions> {
  /** Mirror and registry outages: keep trying (status shows why), backing off to 2 minutes. */
  const network: ActivityOptions = {
    taskQueue: queues.orchestration,
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2 minutes', nonRetryableErrorTypes },
  };
  /** Builds: heavy, heartbeating, a few attempts then on-call. */
  const build: ActivityOptions = {
    taskQueue: queues.build,
    startToCloseTimeout: '45 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes },
  };
  /** Image tests and scans: containers and layer reads, heartbeating; a Docker engine restart is retried. */
  const container: ActivityOptions = {
    taskQueue: queues.orchestration,
    startToCloseTimeout: '20 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes },
  };
  /** Quick lookups on the orchestration queue. */
  const light: ActivityOptions = {
    taskQueue: queues.orchestration,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes },
  };
  return {
    resolveLock: network,
    buildImage: build,
    assembleIndex: network,
    testImage: container,
    scanImage: container,
    signImage: network,
    publishImage: network,
    verifyBase: network,
    verifyPublished: network,
    notifyImage: light,
  };
}

export type ActivityInput<K extends ScheduledActivity> = Parameters<Activities[K]>[0];
export type ActivityOutput<K extends ScheduledActivity> = Awaited<ReturnType<Activities[K]>>;

export function stageActivities(queues: Queues) {
  const options = activityOptions(queues);
  // Options come with every call (below); these only satisfy the proxy.
  const proxy = proxyActivities<Activities>(options.resolveLock);
  // A catalog lookup: a local activity costs one marker event instead of a scheduled task and its workflow task.
  const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: options.notifyImage.retry });
  return {
    /** Activity `name` with its options, and `summary` (what the UI shows for it). */
    run<K extends ScheduledActivity>(name: K, input: ActivityInput<K>, summary?: string, overrides?: Pick<ActivityOptions, 'taskQueue'>): Promise<ActivityOutput<K>> {
      const call = proxy[name] as unknown as { executeWithOptions(o: ActivityOptions, args: [ActivityInput<K>]): Promise<ActivityOutput<K>> };
      return call.executeWithOptions({ ...options[name], ...overrides, ...(summary ? { summary } : {}) }, [input]);
    },
    listDependents: local.listDependents,
  };
}
export type StageActivities = ReturnType<typeof stageActivities>;
