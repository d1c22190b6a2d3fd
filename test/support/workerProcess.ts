/**
 * The workers as a separate OS process (the compiled dist/workers/main.js,
 * as scripts/up runs them), so fault tests can SIGKILL or SIGTERM them
 * mid-activity.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../../domain/config';
import { cliEnv } from './cli';

export interface WorkerProcess {
  child: ChildProcess;
  log: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

/**
 * `script`: another entry point than the compiled workers/main.js, run from
 * TypeScript through tsx (e.g. fakeStagesWorker.ts: the production worker
 * setup with stage doubles, for orchestration-only fault tests).
 */
export async function startWorkerProcess(config: Config, logFile: string, extraEnv: Record<string, string> = {}, script?: string): Promise<WorkerProcess> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  // Several workers may share one log (a fault lane's): only what this one writes says it is ready.
  const offset = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  const ownOutput = () => {
    const all = fs.readFileSync(logFile);
    return all.subarray(Math.min(offset, all.length)).toString('utf8');
  };
  const out = fs.openSync(logFile, 'a');
  const args = script ? ['--require', 'tsx/cjs', script] : [path.join(ROOT, 'dist/workers/main.js')];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...cliEnv(config), ...extraEnv },
    stdio: ['ignore', out, out],
  });
  const deadline = Date.now() + 60_000;
  while (!ownOutput().includes('workers running')) {
    if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}: ${ownOutput().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error('worker did not start within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    log: logFile,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}
