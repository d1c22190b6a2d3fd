/**
 * The Temporal Schedule `tempered-monitor` that runs the upstream monitor
 * (workflows/monitor.ts) every interval, and the calls around it: create or
 * update it (scripts/up, every time), run it now, read its recent runs.
 *
 * The Schedule, not a sleeping workflow, owns the timing: an operator can
 * pause it, trigger it, or change its interval from the UI or `temporal
 * schedule`, and each poll is its own short workflow run with its report as
 * the result. Overlap is SKIP: a poll still running when the next is due
 * makes that tick a no-op rather than a second poll racing the first over
 * the same memory of what was sent.
 */
import * as path from 'node:path';
import {
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
  ScheduleOverlapPolicy,
  WorkflowFailedError,
} from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { feedLocationSchema } from '../lib/monitor/feeds';
import type { PollReport } from '../activities/types';
import { type Config, ConfigError } from '../domain/config';
import type { MonitorInput, monitorWorkflow } from '../workflows/monitor';
import { TemperedError } from '../domain/errors';

export const MONITOR_SCHEDULE_ID = 'tempered-monitor';
/** Runs are named `tempered-monitor-<scheduled time>` by the Schedule. */
export const MONITOR_WORKFLOW_ID = 'tempered-monitor';
export const DEFAULT_MONITOR_INTERVAL = '1h';
/** Temporal's catch-up window cannot be shorter than 10 s; no useful poll interval is either. */
const MIN_INTERVAL_MS = 10_000;

export interface MonitorSettings {
  intervalMs: number;
  /** Absolute paths or https URLs, in order of trust (the first feed wins when two disagree). */
  feeds: string[];
}

export class MonitorScheduleMissingError extends TemperedError<'MONITOR_SCHEDULE_MISSING'> {
  constructor() {
    super('MONITOR_SCHEDULE_MISSING', `the Schedule ${MONITOR_SCHEDULE_ID} does not exist: scripts/up creates it`);
  }
}

export class MonitorRunFailedError extends TemperedError<'MONITOR_RUN_FAILED'> {
  constructor(
    readonly workflowId: string,
    reason: string,
  ) {
    super('MONITOR_RUN_FAILED', `monitor run ${workflowId} failed: ${reason}`);
  }
}

// ---------------------------------------------------------------- settings

const envSchema = z.object({
  TEMPERED_MONITOR_INTERVAL: z
    .string()
    .default(DEFAULT_MONITOR_INTERVAL)
    .transform((text, ctx) => {
      const ms = durationMs(text);
      if (ms === undefined || ms < MIN_INTERVAL_MS) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration of at least 10s (examples: 15m, 1h, 6h)` });
        return z.NEVER;
      }
      return ms;
    }),
  TEMPERED_FEEDS: z.string().optional(),
});

/**
 * TEMPERED_MONITOR_INTERVAL (default 1h) and TEMPERED_FEEDS: a JSON array of
 * feed locations, or one location. Relative paths are taken from the current
 * directory (scripts/up runs from the checkout) and stored absolute, since
 * the worker that reads them runs elsewhere. Errors name the variable and
 * the entry: `TEMPERED_FEEDS[1]: ...`.
 */
export function monitorSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): MonitorSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`environment ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return { intervalMs: parsed.data.TEMPERED_MONITOR_INTERVAL, feeds: parseFeedList(parsed.data.TEMPERED_FEEDS, cwd) };
}

function parseFeedList(text: string | undefined, cwd: string): string[] {
  if (text === undefined || text.trim() === '') return [];
  let list: unknown = text.trim();
  if (text.trim().startsWith('[')) {
    try {
      list = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`environment TEMPERED_FEEDS: not a JSON array: ${(error as Error).message}`);
    }
  }
  const entries = Array.isArray(list) ? list : [list];
  const absolute = entries.map((entry) => (typeof entry === 'string' && isRelativePath(entry) ? path.resolve(cwd, entry) : entry));
  const result = z.array(feedLocationSchema).safeParse(absolute);
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = Array.isArray(list) ? `[${issue?.path.map(String).join('.')}]` : '';
    throw new ConfigError(`environment TEMPERED_FEEDS${at}: ${issue?.message}`);
  }
  return [...new Set(result.data)];
}

const isRelativePath = (entry: string) => entry !== '' && !entry.startsWith('/') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(entry);

function durationMs(text: string): number | undefined {
  try {
    return msToNumber(text as Parameters<typeof msToNumber>[0]);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- create or update

export type MonitorScheduleOptions = ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof monitorWorkflow>>;

export function monitorScheduleOptions(config: Config, settings: MonitorSettings): MonitorScheduleOptions {
  const input: MonitorInput = { feeds: settings.feeds };
  return {
    scheduleId: MONITOR_SCHEDULE_ID,
    spec: { intervals: [{ every: settings.intervalMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'monitorWorkflow',
      workflowId: MONITOR_WORKFLOW_ID,
      taskQueue: config.temporal.orchestrationQueue,
      args: [input],
      staticSummary: 'upstream monitor poll',
      staticDetails: 'Compares the Debian archive and the advisory feeds with every published image and signals the affected image workflows. The result is the poll report.',
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage, one catch-up poll covers everything missed: a poll always looks at the present.
      catchupWindow: Math.max(settings.intervalMs, 60_000),
      pauseOnFailure: false,
    },
  };
}

export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Creates the Schedule, or brings an existing one to these settings. Leaves
 * its paused state alone: an operator's pause survives `scripts/up`. With
 * `triggerImmediately`, a poll starts now (skipped if one is running).
 */
export async function ensureMonitorSchedule(
  client: Client,
  config: Config,
  settings: MonitorSettings,
  options: { triggerImmediately?: boolean } = {},
): Promise<EnsureOutcome> {
  const desired = monitorScheduleOptions(config, settings);
  try {
    await client.schedule.create({ ...desired, state: { triggerImmediately: options.triggerImmediately ?? false } });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(MONITOR_SCHEDULE_ID);
  const current = await handle.describe();
  let outcome: EnsureOutcome = 'unchanged';
  if (!scheduleMatches(current, desired)) {
    await handle.update((previous) => ({ spec: desired.spec, action: desired.action, policies: desired.policies, state: previous.state }));
    outcome = 'updated';
  }
  if (options.triggerImmediately) await handle.trigger(ScheduleOverlapPolicy.SKIP);
  return outcome;
}

/** Whether an existing Schedule already does what `desired` says (so `scripts/up` writes nothing). */
export function scheduleMatches(current: ScheduleDescription, desired: MonitorScheduleOptions): boolean {
  const intervals = current.spec.intervals ?? [];
  const wantedEvery = desired.spec.intervals?.[0]?.every;
  const sameSpec =
    intervals.length === 1 &&
    wantedEvery !== undefined &&
    intervals[0]?.every === msToNumber(wantedEvery) &&
    !intervals[0]?.offset &&
    !current.spec.calendars?.length;
  const a = current.action;
  const sameAction =
    a.workflowType === desired.action.workflowType &&
    a.workflowId === desired.action.workflowId &&
    a.taskQueue === desired.action.taskQueue &&
    a.staticSummary === desired.action.staticSummary &&
    a.staticDetails === desired.action.staticDetails &&
    JSON.stringify(a.args) === JSON.stringify(desired.action.args);
  const samePolicies =
    current.policies.overlap === desired.policies?.overlap &&
    current.policies.catchupWindow === desired.policies?.catchupWindow &&
    current.policies.pauseOnFailure === (desired.policies?.pauseOnFailure ?? false);
  return sameSpec && sameAction && samePolicies;
}

// ---------------------------------------------------------------- run now, read runs

export interface MonitorRun {
  workflowId: string;
  runId: string;
  /** The poll that was running when this one was asked for: this one started after it finished. */
  queuedBehind?: string;
}

/**
 * Starts a fresh poll now, or right after the one running (overlap BUFFER_ONE
 * for this trigger only: a poll that started before a fix was published may
 * have missed it, so "run now" must not be satisfied by it).
 *
 * The new run is found by run id, not workflow id: the Schedule names runs
 * by the second they were taken, and two polls in one second share the name.
 */
export async function triggerMonitor(client: Client, options: { timeoutMs?: number; onQueued?: (behind: string) => void } = {}): Promise<MonitorRun> {
  const handle = client.schedule.getHandle(MONITOR_SCHEDULE_ID);
  const before = await describeSchedule(handle);
  const known = new Set([...before.info.recentActions.map((r) => r.action), ...before.info.runningActions].map((a) => a.workflow.firstExecutionRunId));
  const queuedBehind = before.info.runningActions[0]?.workflow.workflowId;
  if (queuedBehind) options.onQueued?.(queuedBehind);
  await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = await handle.describe();
    const started = [...now.info.runningActions, ...now.info.recentActions.map((r) => r.action)].find((a) => !known.has(a.workflow.firstExecutionRunId));
    if (started) return { workflowId: started.workflow.workflowId, runId: started.workflow.firstExecutionRunId, ...(queuedBehind ? { queuedBehind } : {}) };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Schedule ${MONITOR_SCHEDULE_ID} did not start the triggered poll within ${Math.round(timeoutMs / 1000)}s${queuedBehind ? ` (queued behind ${queuedBehind})` : ''}`);
}

/** Waits for a monitor run and returns its report; a failed run becomes MonitorRunFailedError with the root cause. */
export async function monitorRunReport(client: Client, run: Pick<MonitorRun, 'workflowId' | 'runId'>): Promise<PollReport> {
  try {
    return await client.workflow.getHandle<typeof monitorWorkflow>(run.workflowId, run.runId).result();
  } catch (error) {
    if (error instanceof WorkflowFailedError) throw new MonitorRunFailedError(run.workflowId, rootCause(error));
    throw error;
  }
}

export interface MonitorRunStatus {
  workflowId: string;
  runId: string;
  scheduledAt?: string;
  status: string;
  report?: PollReport;
  failure?: string;
}

export interface MonitorStatus {
  scheduleId: string;
  paused: boolean;
  note?: string;
  intervalMs?: number;
  feeds: string[];
  taskQueue: string;
  nextRuns: string[];
  actionsTaken: number;
  skippedOverlap: number;
  /** Newest first, at most `recent`; the running one included. */
  runs: MonitorRunStatus[];
}

export async function describeMonitor(client: Client, recent = 5): Promise<MonitorStatus> {
  const description = await describeSchedule(client.schedule.getHandle(MONITOR_SCHEDULE_ID));
  const input = description.action.args?.[0] as Partial<MonitorInput> | undefined;
  const running = new Set(description.info.runningActions.map((a) => a.workflow.firstExecutionRunId));
  const taken = [...description.info.recentActions].reverse().slice(0, recent);
  const runs = await Promise.all(
    taken.map(async ({ action, scheduledAt }): Promise<MonitorRunStatus> => {
      const { workflowId, firstExecutionRunId: runId } = action.workflow;
      const base = { workflowId, runId, scheduledAt: scheduledAt.toISOString() };
      if (running.has(runId)) return { ...base, status: 'RUNNING' };
      const status = (await client.workflow.getHandle(workflowId, runId).describe().catch(() => undefined))?.status.name ?? 'UNKNOWN';
      if (status === 'COMPLETED') return { ...base, status, report: await monitorRunReport(client, { workflowId, runId }) };
      if (status === 'FAILED') {
        const failure = await monitorRunReport(client, { workflowId, runId }).then(() => undefined, (error: Error) => error.message);
        return { ...base, status, ...(failure ? { failure } : {}) };
      }
      return { ...base, status };
    }),
  );
  return {
    scheduleId: MONITOR_SCHEDULE_ID,
    paused: description.state.paused,
    ...(description.state.note ? { note: description.state.note } : {}),
    ...(description.spec.intervals?.[0] ? { intervalMs: description.spec.intervals[0].every } : {}),
    feeds: Array.isArray(input?.feeds) ? input.feeds.map(String) : [],
    taskQueue: description.action.taskQueue,
    nextRuns: description.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    actionsTaken: description.info.numActionsTaken,
    skippedOverlap: description.info.numActionsSkippedOverlap,
    runs,
  };
}

async function describeSchedule(handle: ScheduleHandle): Promise<ScheduleDescription> {
  try {
    return await handle.describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw new MonitorScheduleMissingError();
    throw error;
  }
}

/** The innermost message of a failure chain: the activity's own error, not "Activity task failed". */
function rootCause(error: Error): string {
  let current: Error = error;
  while (current.cause instanceof Error) current = current.cause;
  return current.message;
}
