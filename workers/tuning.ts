import type { WorkerOptions } from '@temporalio/worker';

/**
 * The orchestration worker's tuning, shared with the scale bench so it
 * measures what runs.
 *
 * stickyQueueScheduleToStartTimeout: a cached workflow's next task waits on
 * this worker's own (sticky) queue; past the timeout the server times it out
 * and re-queues it on the shared queue, behind every new run. The SDK's 10 s is shorter than the backlog one advisory to
 * 1,000 images builds on 2 cores (17 s measured, docs/BENCHMARKS.md), and
 * past it the backlog feeds itself. A dead worker costs little more: the
 * server stops routing to a sticky queue nobody has polled for 10 s.
 */
export const ORCHESTRATION_TUNING = {
  maxConcurrentActivityTaskExecutions: 20,
  stickyQueueScheduleToStartTimeout: '30 seconds',
} as const satisfies Partial<WorkerOptions>;
