/**
 * Replays every committed workflow history (test/replay/histories/<scenario>/)
 * against the current workflow code. A change that would make a running
 * image's workflow nondeterministic fails here, before it ships; such a
 * change must be guarded with `patched()`. Record new histories with
 * `RECORD_HISTORIES=1 npx jest test/workflow --selectProjects workflow`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/bundle';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, 'histories');

function historyFiles(dir = ROOT): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? historyFiles(full) : e.name.endsWith('.json') ? [full] : [];
  }).sort();
}

beforeAll(() => Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] }));

test('committed histories cover the representative cycles', () => {
  const scenarios = new Set(historyFiles().map((f) => path.relative(ROOT, f).split(path.sep)[0]));
  for (const scenario of ['initial-publish', 'batch', 'waiting-for-fix', 'failure-and-retry', 'pause-resume', 'invalid-input', 'continue-as-new', 'cascade']) {
    expect([scenario, scenarios.has(scenario)]).toEqual([scenario, true]);
  }
});

test('every committed history replays without nondeterminism', async () => {
  const files = historyFiles();
  const histories = files.map((file) => ({ workflowId: path.relative(ROOT, file), history: historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8'))) }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(histories.length).toBeGreaterThan(0);
});
