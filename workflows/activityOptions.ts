/**
 * One proxy per retry behaviour, so each activity's policy is explicit and
 * visible in one place. Transient causes (registry, docker daemon, archive
 * mirror) retry with capped exponential backoff; invalid input and failed
 * image tests are thrown as non-retryable ApplicationFailures by the
 * activities and come back to the workflow at once.
 *
 * Only the build itself runs on the build queue, with small concurrency: it
 * is CPU- and disk-bound. Everything else is short or waits on I/O and runs
 * on the orchestration queue, so a quick image test never queues behind two
 * minute-long dev builds.
 */
import { type ActivityOptions, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/types';
import { ErrorType } from '../domain/patch/errors';

const nonRetryableErrorTypes = Object.values(ErrorType);

export interface Queues {
  orchestration: string;
  build: string;
}

export function activityOptions(queues: Queues) {
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
  return { network, build, container, light };
}

export function stageActivities(queues: Queues) {
  const o = activityOptions(queues);
  const network = proxyActivities<Activities>(o.network);
  const build = proxyActivities<Activities>(o.build);
  const container = proxyActivities<Activities>(o.container);
  const light = proxyActivities<Activities>(o.light);
  // A catalog lookup: a local activity costs one marker event instead of a scheduled task and its workflow task.
  const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: o.light.retry });
  return {
    options: o,
    resolveLock: network.resolveLock,
    buildImage: build.buildImage,
    testImage: container.testImage,
    scanImage: container.scanImage,
    signImage: network.signImage,
    publishImage: network.publishImage,
    verifyBase: network.verifyBase,
    verifyPublished: network.verifyPublished,
    listDependents: local.listDependents,
    notifyImage: light.notifyImage,
  };
}
export type StageActivities = ReturnType<typeof stageActivities>;
