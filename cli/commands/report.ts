/**
 * `tempered report sla [--since DATE] [--json] [--html FILE]`: time to fix
 * for every advisory the image workflows handled, medians and the slowest
 * per severity, medians per image; `--html` writes a self-contained page
 * with the plots (domain/report/slaPage.ts).
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { CliError, ExitCode, printJson, printTable } from '../output';
import { withClient } from '../runtime';

export function registerReport(program: Command): void {
  const report = program.command('report').description('reports for the people who consume the images');
  report
    .command('sla')
    .description('time to fix: from when tempered learned of each advisory to the publish that fixed it, per severity and image')
    .option('--since <date>', 'only fixes published since this ISO 8601 date or time')
    .option('--json', 'print JSON for scripts')
    .option('--html <file>', 'also write a self-contained HTML page with the plots')
    .action(async (opts: { since?: string; json?: boolean; html?: string }) => {
      const since = opts.since && new Date(opts.since);
      if (since !== undefined && (since === '' || Number.isNaN(since.getTime()))) throw new CliError(`--since: "${opts.since}" is not an ISO 8601 date or time`, ExitCode.usage);
      const { allImageStatuses } = require('../../client/status') as typeof import('../../client/status');
      const { formatHours, slaReport } = require('../../domain/report/timeToFix') as typeof import('../../domain/report/timeToFix');
      const states = await withClient(async (client) => (await allImageStatuses(client)).flatMap((s) => (s.state ? [s.state] : [])));
      const sla = slaReport(states, since ? since.toISOString() : undefined);
      if (opts.html) {
        const { slaPage } = require('../../domain/report/slaPage') as typeof import('../../domain/report/slaPage');
        fs.writeFileSync(opts.html, slaPage(sla, new Date().toISOString()));
      }
      if (opts.json) return printJson(sla);
      if (sla.records.length === 0) {
        console.log(`no timed fixes${sla.untimed ? ` (${sla.untimed} fixed advisories have no times: handled before they were kept, or already fixed)` : ''}`);
        return;
      }
      printTable(['SEVERITY', 'FIXES', 'MEDIAN', 'SLOWEST'], sla.bySeverity.map((s) => [s.severity, s.count, formatHours(s.medianHours), `${s.slowest.advisory} on ${s.slowest.image} (${formatHours(s.slowest.hours)})`]));
      console.log('');
      printTable(['IMAGE', 'FIXES', 'MEDIAN'], sla.byImage.map((i) => [i.image, i.count, formatHours(i.medianHours)]));
      if (opts.html) console.log(`\nwrote ${opts.html}`);
    });
}
