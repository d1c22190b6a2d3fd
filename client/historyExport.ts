/**
 * Writes every run of an image's workflow as a history JSON file, in the
 * format `temporal workflow show --output json` prints and
 * `historyFromJSON` + `Worker.runReplayHistories` read back: what on-call
 * attaches to a bug, replays against new workflow code, or commits under
 * test/replay/histories as a regression case.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { writeFileAtomicSync } from '../lib/state/files';
import { listRuns, type RunInfo } from './imageHistory';
import { fetchRunHistory } from './runHistory';

export interface ExportedRun extends RunInfo {
  file: string;
  events: number;
}

/** `image:base:runtime` -> `image_base_runtime`: a directory name that means the same on every filesystem. */
function fileSafe(workflowId: string): string {
  return workflowId.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Files are `<dir>/<workflow>/<NN>-<runId>.json`, numbered oldest first so a
 * directory listing reads as the image's timeline. Written to a temporary
 * name and renamed, so an interrupted export never leaves half a history.
 */
export async function exportHistories(
  client: Client,
  workflowId: string,
  dir: string,
  onRun: (done: number, total: number, run: RunInfo) => void = () => undefined,
): Promise<ExportedRun[]> {
  const runs = await listRuns(client, workflowId);
  const target = path.join(dir, fileSafe(workflowId));
  fs.mkdirSync(target, { recursive: true });
  const exported: ExportedRun[] = [];
  for (const [i, run] of runs.entries()) {
    onRun(i, runs.length, run);
    const history = await fetchRunHistory(client, workflowId, run.runId);
    const file = path.join(target, `${String(i + 1).padStart(3, '0')}-${run.runId}.json`);
    writeFileAtomicSync(file, historyToJSON(history));
    exported.push({ ...run, file, events: history.events?.length ?? 0 });
  }
  return exported;
}
