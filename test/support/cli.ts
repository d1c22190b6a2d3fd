/** Runs the real `tempered` CLI (compiled, as users run it) against a test stack. */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Config } from '../../domain/config';

/** The compiled CLI (`npm run build`); TEMPERED_CLI_MAIN runs the suites against another build of it. */
export const CLI_MAIN = process.env.TEMPERED_CLI_MAIN ?? path.resolve(__dirname, '../../dist/cli/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cliEnv(config: Config, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPERED_REGISTRY: config.registry.host,
    TEMPERED_STATE_DIR: config.stateDir,
    TEMPERED_CATALOG_DIR: config.catalogDir,
    TEMPERED_CUSTOMIZATIONS_DIR: config.customizationsDir,
    TEMPERED_DEB_CACHE: config.debCache,
    TEMPERED_ARCHIVE_CACHE: config.archiveCache,
    TEMPERED_ARCHITECTURES: config.architectures.join(','),
    ...(config.archive ? { TEMPERED_ARCHIVE: config.archive } : {}),
    ...extra,
  };
}

export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return runProcess(process.execPath, [CLI_MAIN, ...args], env, input);
}

/** Runs a program with only PATH, HOME and `env` in its environment; resolves with its exit code and output. */
export function runProcess(command: string, args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}
