/**
 * A real worker running the real workflow code against a test Temporal
 * server, with the activities a test passes in (doubles for orchestration
 * tests). Histories of what ran can be saved for the replay suite.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Activities } from '../../activities/types';
import { webhookActivities } from '../../activities/webhooks';
import { connectClient } from '../../client/connect';
import { Notifier } from '../../lib/notify/notifier';
import { withPublishResult } from '../../domain/notify/events';
import { listRuns } from '../../client/imageHistory';
import { type Config, parseConfig } from '../../domain/config';
import { workflowBundle } from './bundle';
import type { TestTemporal } from './temporal';
import { buildQueueFor } from '../../domain/platform';
import { fetchRunHistory } from '../../client/runHistory';

let installed = false;

export interface TestWorker {
  client: Client;
  config: Config;
  worker: Worker;
  stop(): Promise<void>;
}

/** `webhooksFile`: where the real webhook activities read their configuration (none: no webhooks, notifications end at once). */
export async function startTestWorker(temporal: TestTemporal, activities: Activities, options: { webhooksFile?: string } = {}): Promise<TestWorker> {
  if (!installed) {
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
    installed = true;
  }
  const config = parseConfig({ TEMPORAL_ADDRESS: temporal.address, TEMPERED_STATE_DIR: '/nonexistent' });
  const native = await NativeConnection.connect({ address: temporal.address });
  let notifierClient: Promise<Client> | undefined;
  const notifier = new Notifier({ ...options, temporal: () => (notifierClient ??= connectClient(config)), taskQueue: config.temporal.orchestrationQueue });
  // The real publish activity starts the event's notification once the tag moved: so does the double's.
  const publishThenNotify: Activities['publishImage'] = async (input) => {
    const result = await activities.publishImage(input);
    if (input.event) await notifier.start(withPublishResult(input.event, result));
    return result;
  };
  const bundle = await workflowBundle();
  const workers = await Promise.all(
    [config.temporal.orchestrationQueue, ...config.buildArchitectures.map((a) => buildQueueFor(config.temporal.buildQueue, a))].map((taskQueue) =>
      Worker.create({ connection: native, taskQueue, workflowBundle: bundle, activities: { ...activities, publishImage: publishThenNotify, ...webhookActivities(notifier) }, shutdownGraceTime: '1 second' }),
    ),
  );
  const running = Promise.all(workers.map((w) => w.run()));
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  return {
    client,
    config,
    worker: workers[0] as Worker,
    stop: async () => {
      for (const w of workers) w.shutdown();
      await running;
      await native.close();
      await connection.close();
      await (await notifierClient)?.connection.close();
    },
  };
}

/**
 * The recordings made by this code. Histories recorded by earlier code stay
 * in their own directories and keep replaying (that is the point): a change
 * that needs new recordings bumps this name, and both are committed.
 */
export const RECORDING = 'v3-carried-patches';

/**
 * With RECORD_HISTORIES=1, writes every run of the workflow id as JSON under
 * test/replay/histories/<scenario>/<RECORDING>/, where the replay suite finds them.
 */
export async function recordHistories(client: Client, workflowId: string, scenario: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const dir = path.resolve(__dirname, '../replay/histories', scenario, RECORDING);
  fs.mkdirSync(dir, { recursive: true });
  for (const [i, { runId }] of (await listRuns(client, workflowId)).entries()) {
    const history = await fetchRunHistory(client, workflowId, runId);
    const file = path.join(dir, `${workflowId.replace(/[^a-z0-9]+/gi, '_')}-run${String(i + 1).padStart(2, '0')}.json`);
    const json = historyToJSON(history);
    // Flood scenarios carry megabytes of near-identical payloads: compressed, they stay reviewable in size.
    if (json.length > 512 * 1024) fs.writeFileSync(`${file}.gz`, zlib.gzipSync(json, { level: 9 }));
    else fs.writeFileSync(file, json);
  }
}
