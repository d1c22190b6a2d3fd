/**
 * `--wait` for the commands that start or resume a cycle (rebuild, retry):
 * progress on stderr while it runs, then the result as a table or JSON, and
 * an exit code a script can branch on: 0 the cycle ended (published,
 * unchanged, up-to-date, waiting for a fix), 1 it failed and waits for
 * on-call, or the wait timed out while it still runs.
 */
import type { Client } from '@temporalio/client';
import { type CycleEnd, followCycle } from '../client/followCycle';
import { CliError, endProgress, ExitCode, printTable, progressLine } from './output';
import { cycleDuration, describeFailure, describeReasons, digestChange } from './cycleFormat';

export interface CycleResultJson {
  cycle: number;
  ended: CycleEnd['kind'];
  outcome?: string;
  digest?: string;
  previousDigest?: string;
  failure?: unknown;
}

export async function waitForCycle(client: Client, workflowId: string, cycle: number, timeoutMinutes: number, previousFailureAt?: string): Promise<CycleEnd> {
  try {
    return await followCycle(client, workflowId, cycle, { timeoutMs: timeoutMinutes * 60_000, previousFailureAt, onProgress: progressLine });
  } finally {
    endProgress();
  }
}

export function cycleResultJson(cycle: number, end: CycleEnd): CycleResultJson {
  if (end.kind === 'timeout') return { cycle, ended: 'timeout' };
  return {
    cycle,
    ended: end.kind,
    outcome: end.cycle.outcome,
    digest: end.cycle.digest,
    previousDigest: end.cycle.previousDigest,
    ...(end.kind === 'failed' ? { failure: end.failure } : {}),
  };
}

export function printCycleResult(cycle: number, end: CycleEnd): void {
  if (end.kind === 'timeout') return;
  const c = end.cycle;
  printTable(
    ['CYCLE', 'WHY', 'OUTCOME', 'DIGEST', 'TOOK', 'FAILURE'],
    [[c.number, describeReasons(c.reasons), c.outcome ?? end.kind, digestChange(c), cycleDuration(c), end.kind === 'failed' ? describeFailure(end.failure) : '']],
  );
}

/**
 * Throws the one-line error (exit 1) for a cycle that did not end well;
 * returns for one that did. A cycle can fail two ways: it waits for an
 * on-call retry (a patch cycle), or it is over and left the image as it was
 * (a refused rollback).
 */
export function assertCycleEnded(image: string, cycle: number, end: CycleEnd, timeoutMinutes: number): void {
  if (end.kind === 'timeout') {
    throw new CliError(`cycle ${cycle} of ${image} still runs after ${timeoutMinutes} min; follow it with: tempered status ${image}`, ExitCode.failed);
  }
  if (end.kind === 'failed') {
    throw new CliError(`cycle ${cycle} of ${image} failed (${describeFailure(end.failure)}); fix the cause, then: tempered retry ${image}`, ExitCode.failed);
  }
  if (end.cycle.outcome === 'failed') {
    throw new CliError(`cycle ${cycle} of ${image} failed and changed nothing (${describeFailure(end.cycle.failure)})`, ExitCode.failed);
  }
}
