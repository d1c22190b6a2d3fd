/**
 * `tempered`: the operator's CLI. Every command has --help, prints a table
 * for people and JSON with --json, and exits 0 (ok), 1 (failed), 2 (bad
 * input) or 3 (Temporal or the registry unreachable).
 *
 * It answers fast: a command loads what it needs when it runs (its action
 * requires its modules), so `tempered --help` loads commander and the
 * command declarations only (docs/BENCHMARKS.md, "The CLI answers").
 */
import './compileCache';
import { Command, CommanderError } from 'commander';
import { registerAdvisory } from './commands/advisory';
import { registerBuild } from './commands/build';
import { registerChangelog } from './commands/changelog';
import { registerDoctor } from './commands/doctor';
import { registerImpact } from './commands/impact';
import { registerKeys } from './commands/keys';
import { registerHistory } from './commands/history';
import { registerMirror, registerMirrorSchedule } from './commands/mirror';
import { registerMonitor } from './commands/monitor';
import { registerPause } from './commands/pause';
import { registerRebuild } from './commands/rebuild';
import { registerReport } from './commands/report';
import { registerResume } from './commands/resume';
import { registerRetry } from './commands/retry';
import { registerRollback } from './commands/rollback';
import { registerSbom } from './commands/sbom';
import { registerStatus } from './commands/status';
import { registerUp } from './commands/up';
import { registerVerify } from './commands/verify';
import { registerWebhooks } from './commands/webhooks';
import { ExitCode } from './output';
import { reportError } from './runtime';

export function program(): Command {
  const cli = new Command('tempered')
    .description('continuously patched, hardened container images from Debian packages, run by Temporal')
    .showHelpAfterError()
    .exitOverride();
  registerStatus(cli);
  registerAdvisory(cli);
  registerRebuild(cli);
  registerRetry(cli);
  registerPause(cli);
  registerResume(cli);
  registerRollback(cli);
  registerHistory(cli);
  registerBuild(cli);
  registerUp(cli);
  registerKeys(cli);
  registerImpact(cli);
  registerMonitor(cli);
  registerVerify(cli);
  registerSbom(cli);
  registerChangelog(cli);
  registerMirror(cli);
  registerMirrorSchedule(cli);
  registerDoctor(cli);
  registerWebhooks(cli);
  registerReport(cli);
  return cli;
}

export async function run(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    return reportError(err);
  }
}

if (require.main === module) {
  void run(process.argv).then((code) => process.exit(code));
}
