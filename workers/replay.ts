/**
 * Replays recorded workflow histories against the workflow code of this
 * checkout, the way a worker would after a deploy. A history that no longer
 * replays (a command the code no longer issues at that point) means running
 * workflows would get stuck on the new code: guard the change with
 * `patched()` before it ships.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type History, historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { type ReplayWorkerOptions, Worker } from '@temporalio/worker';
import { WORKFLOW_BUNDLER_OPTIONS } from './bundlerOptions';

export interface ReplayOutcome {
  file: string;
  ok: boolean;
  /** Why it did not replay: nondeterminism (the code changed incompatibly) or a history the file does not hold. */
  error?: string;
}

/** The JSON history files under the given files and directories, sorted, so outcomes print in timeline order. */
export function historyFiles(inputs: string[]): string[] {
  const walk = (p: string): string[] => {
    if (!fs.statSync(p).isDirectory()) return [p];
    return fs.readdirSync(p).sort().flatMap((name) => {
      const full = path.join(p, name);
      return fs.statSync(full).isDirectory() || name.endsWith('.json') ? walk(full) : [];
    });
  };
  return inputs.flatMap((input) => walk(path.resolve(input)));
}

/**
 * One replay worker for all files (bundling the workflow code is the slow
 * part). `workflowsPath` defaults to this checkout's workflows, compiled or not.
 */
export async function replayHistoryFiles(
  files: string[],
  options: Partial<ReplayWorkerOptions> = {},
  onResult: (outcome: ReplayOutcome) => void = () => undefined,
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  const histories: { workflowId: string; history: History }[] = [];
  for (const file of files) {
    try {
      histories.push({ workflowId: file, history: historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8'))) });
    } catch (err) {
      const outcome = { file, ok: false, error: `not a workflow history: ${(err as Error).message.split('\n')[0]}` };
      outcomes.push(outcome);
      onResult(outcome);
    }
  }
  if (histories.length === 0) return outcomes;
  const source = options.workflowBundle ? {} : { workflowsPath: require.resolve('../workflows'), bundlerOptions: WORKFLOW_BUNDLER_OPTIONS };
  for await (const result of Worker.runReplayHistories({ ...source, ...options }, histories)) {
    const outcome = { file: result.workflowId, ok: !result.error, ...(result.error ? { error: result.error.message } : {}) };
    outcomes.push(outcome);
    onResult(outcome);
  }
  return outcomes;
}
