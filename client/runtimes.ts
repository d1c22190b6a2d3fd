/**
 * The runtimes a tempered deployment runs on, read from the server alone:
 * the Temporal server's version (GetSystemInfo) and every worker polling
 * tempered's task queues, with the Node.js version its identity carries
 * (domain/runtime/nodeReleases.ts workerIdentity).
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { Config } from '../domain/config';
import { parseWorkerIdentity } from '../domain/runtime/nodeReleases';
import { buildQueueFor } from '../domain/platform';

export interface WorkerPoller {
  identity: string;
  role?: string;
  process: string;
  node?: string;
  taskQueues: string[];
  lastSeen?: string;
}

export interface Runtimes {
  server: { version: string; address: string };
  workers: WorkerPoller[];
}

const { TaskQueueType } = temporal.api.enums.v1;

export async function readRuntimes(client: Client, config: Pick<Config, 'temporal' | 'architectures'>): Promise<Runtimes> {
  const service = client.workflowService;
  // Every queue the deployment uses: orchestration, the build queue, and one per other architecture it publishes.
  const names = new Set([config.temporal.orchestrationQueue, config.temporal.buildQueue, ...config.architectures.map((a) => buildQueueFor(config.temporal.buildQueue, a))]);
  const [info, ...queues] = await Promise.all([
    service.getSystemInfo({}),
    ...[...names].flatMap((name) =>
      [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY].map(async (taskQueueType) => ({
        name,
        pollers: (await service.describeTaskQueue({ namespace: config.temporal.namespace, taskQueue: { name }, taskQueueType })).pollers ?? [],
      })),
    ),
  ]);
  const byIdentity = new Map<string, WorkerPoller>();
  for (const queue of queues) {
    for (const poller of queue.pollers) {
      const identity = poller.identity ?? '';
      const seen = optionalTsToDate(poller.lastAccessTime)?.toISOString();
      const worker = byIdentity.get(identity) ?? { identity, ...parseWorkerIdentity(identity), taskQueues: [] };
      if (!worker.taskQueues.includes(queue.name)) worker.taskQueues.push(queue.name);
      if (seen && (!worker.lastSeen || seen > worker.lastSeen)) worker.lastSeen = seen;
      byIdentity.set(identity, worker);
    }
  }
  return {
    server: { version: info.serverVersion ?? 'unknown', address: config.temporal.address },
    workers: [...byIdentity.values()].sort((a, b) => a.identity.localeCompare(b.identity)),
  };
}
