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
 *
 * maxCachedWorkflows: each cached image workflow holds about half a MiB
 * (its state and its share of the reused V8 context). With 2,000 cached, a
 * worker holding 10,000 idle images measured 1,659 MiB (docs/BENCHMARKS.md,
 * scale: over its 1.5 GiB target, most of it outside the JS heap). A
 * workflow out of the cache replays its current run on its next task: a run
 * is one cycle (continue-as-new), so a replay is tens of events; replayed
 * signal tasks were not slower than cached ones in that bench.
 */
export const ORCHESTRATION_TUNING = {
  maxConcurrentActivityTaskExecutions: 20,
  maxCachedWorkflows: 2000,
  stickyQueueScheduleToStartTimeout: '30 seconds',
} as const satisfies Partial<WorkerOptions>;
