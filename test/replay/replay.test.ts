/**
 * Replays every committed workflow history (test/replay/histories/<scenario>/)
 * against the current workflow code. A change that would make a running
 * image's workflow nondeterministic fails here, before it ships; such a
 * change must be guarded with `patched()`. Record new histories with
 * `RECORD_HISTORIES=1 npx jest --selectProjects workflow` (into
 * <scenario>/<RECORDING>/, beside the recordings of earlier code).
 * untyped-start-attributes/ is an initial publish recorded on the PostgreSQL cluster with the `type`
 * metadata taken off its start event's search attributes: what a server sends before its cache knows
 * the namespace's attributes (workflows/projection.ts, inherited()).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/bundle';
import { RECORDING } from '../support/testWorker';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, 'histories');

function historyFiles(dir = ROOT): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? historyFiles(full) : e.name.endsWith('.json') || e.name.endsWith('.json.gz') ? [full] : [];
  }).sort();
}

beforeAll(() => Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] }));

test('committed histories cover the representative cycles, as recorded by this code and by the code before it', () => {
  const recorded = new Set(historyFiles().map((f) => path.relative(ROOT, path.dirname(f))));
  const representative = ['initial-publish', 'batch', 'waiting-for-fix', 'failure-and-retry', 'pause-resume', 'invalid-input', 'continue-as-new', 'cascade'];
  for (const version of ['v1-inline-cascade', 'v2-coordinator', RECORDING]) {
    for (const scenario of representative) expect([scenario, version, recorded.has(path.join(scenario, version))]).toEqual([scenario, version, true]);
  }
  for (const version of ['v2-coordinator', RECORDING]) {
    for (const scenario of ['cascade-coordinator', 'failed-continue-as-new']) expect([scenario, version, recorded.has(path.join(scenario, version))]).toEqual([scenario, version, true]);
  }
});

test('every committed history replays without nondeterminism', async () => {
  const files = historyFiles();
  const read = (file: string) => (file.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(file)) : fs.readFileSync(file)).toString('utf8');
  const histories = files.map((file) => ({ workflowId: path.relative(ROOT, file), history: historyFromJSON(JSON.parse(read(file))) }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(histories.length).toBeGreaterThan(0);
});
