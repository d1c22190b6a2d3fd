/**
 * `tempered doctor`: what the deployment runs on. The Temporal server's
 * version, every worker polling tempered's queues with its Node.js version,
 * and this CLI's own; a runtime past its end of life is flagged.
 */
import * as os from 'node:os';
import type { Command } from 'commander';
import { nodeSupport, type RuntimeSupport } from '../../domain/runtime/nodeReleases';
import { printJson, printTable } from '../output';
import { withClient } from '../runtime';

const supportText = (s: RuntimeSupport) => (s.status === 'supported' ? `supported until ${s.until}` : s.status === 'end-of-life' ? `END OF LIFE since ${s.since}` : 'unknown line');

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('show the runtime of the Temporal server, every worker and this CLI; flag end-of-life runtimes')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { json?: boolean }) => {
      const { readRuntimes } = require('../../client/runtimes') as typeof import('../../client/runtimes');
      await withClient(async (client, config) => {
        const runtimes = await readRuntimes(client, config);
        const cli = { process: `${process.pid}@${os.hostname()}`, node: process.version, support: nodeSupport(process.version) };
        const workers = runtimes.workers.map((w) => ({ ...w, support: w.node ? nodeSupport(w.node) : ({ status: 'unknown' } as const) }));
        const endOfLife = [cli, ...workers].filter((r) => r.support.status === 'end-of-life').length;
        if (opts.json) {
          printJson({ server: runtimes.server, cli, workers, endOfLife });
        } else {
          printTable(
            ['COMPONENT', 'PROCESS', 'RUNTIME', 'SUPPORT', 'TASK QUEUES'],
            [
              ['temporal server', runtimes.server.address, runtimes.server.version, '', ''],
              ['tempered CLI', cli.process, `node ${cli.node}`, supportText(cli.support), ''],
              ...workers.map((w) => [w.role ? `${w.role} worker` : 'worker', w.process, w.node ? `node ${w.node}` : 'unknown', supportText(w.support), w.taskQueues.join(' ')]),
            ],
          );
          if (workers.length === 0) console.log('no worker is polling tempered\'s task queues');
        }
        if (endOfLife > 0) process.exitCode = 1;
      });
    });
}
