/**
 * Creates and runs the workers. The orchestration worker runs every workflow
 * and every activity but the build; the build workers (one per architecture
 * built here) run builds with small concurrency (they are CPU- and
 * disk-bound). SIGTERM/SIGINT start a
 * graceful shutdown: no new tasks, running activities get the grace time to
 * finish, then are cancelled and retried elsewhere.
 */
import * as os from 'node:os';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createContext } from '../lib/context';
import { type Config, loadConfig } from '../domain/config';
import { buildQueueFor, hostArchitecture } from '../domain/platform';
import { workerIdentity } from '../domain/runtime/nodeReleases';
import { WORKFLOW_BUNDLER_OPTIONS } from './bundlerOptions';
import { ORCHESTRATION_TUNING } from './tuning';
import { faultInterceptors } from './faults';

export type WorkerRole = 'orchestration' | 'build';

export interface WorkerSetup {
  config: Config;
  connection: NativeConnection;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Tests only: stage doubles instead of the real activities, to exercise this exact worker setup (signals, grace time). */
  activities?: WorkerOptions['activities'];
  /** Tests only: a shorter grace time than the per-role defaults below. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

export async function createWorkers(roles: WorkerRole[], setup: WorkerSetup): Promise<Worker[]> {
  const { config, connection } = setup;
  const activities = setup.activities ?? createActivities(createContext(config));
  const workflowSource = setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: require.resolve('../workflows'), bundlerOptions: WORKFLOW_BUNDLER_OPTIONS };
  const interceptors = { activity: faultInterceptors() };
  const workers: Worker[] = [];
  if (roles.includes('orchestration')) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.orchestrationQueue,
        identity: workerIdentity('orchestration', process.pid, os.hostname(), process.version),
        ...workflowSource,
        activities,
        interceptors,
        ...ORCHESTRATION_TUNING,
        shutdownGraceTime: setup.shutdownGraceTime ?? '30 seconds',
      }),
    );
  }
  // One build worker per architecture this process builds (its own task queue each, buildQueueFor): a
  // cluster's arm64 machine builds arm64 dev images natively; here one process serves both, arm64 through
  // qemu-user. Runtime images of every architecture are built from the amd64 queue (buildQueueOf).
  if (roles.includes('build')) for (const arch of config.buildArchitectures) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: buildQueueFor(config.temporal.buildQueue, arch),
        identity: workerIdentity(arch === 'amd64' ? 'build' : `build-${arch}`, process.pid, os.hostname(), process.version),
        activities,
        interceptors,
        // Builds on an architecture's own queue run its code (dev images' maintainer scripts): under emulation
        // each takes a core for minutes, so one at a time, and the other builds keep their share of the machine.
        maxConcurrentActivityTaskExecutions: arch === hostArchitecture(process.arch) ? config.buildConcurrency : 1,
        // A build can take minutes: let it finish on SIGTERM rather than redo it elsewhere.
        shutdownGraceTime: setup.shutdownGraceTime ?? '5 minutes',
      }),
    );
  }
  return workers;
}

export async function runWorkers(roles: WorkerRole[], overrides: Omit<WorkerSetup, 'config' | 'connection'> = {}): Promise<void> {
  const config = loadConfig();
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'] });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const workers = await createWorkers(roles, { config, connection, ...overrides });
  console.log(`workers running: ${roles.join(', ')} on ${config.temporal.address} (namespace ${config.temporal.namespace}), node ${process.version}, pid ${process.pid}`);
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
  console.log('workers stopped');
}
