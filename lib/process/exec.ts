/** Runs a program without a shell and returns its output; a failure carries the command and stderr tail. */
import { type ChildProcessWithoutNullStreams, spawn, type SpawnOptions } from 'node:child_process';
import { TemperedError } from '../../domain/errors';

/**
 * The whole environment a child process gets unless a caller names more:
 * the worker's own (registry password, key path, Temporal address) never
 * reaches dpkg, tar, gpgv, xz or anything they run.
 */
export const MINIMAL_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL: 'C.UTF-8',
});

/** A child process could not start (`exitCode` null) or exited non-zero. */
export class ExecError extends TemperedError<'EXEC_FAILED'> {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super('EXEC_FAILED', `${command} exited ${exitCode}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
}

export interface ExecOptions {
  cwd?: string;
  /** Added to MINIMAL_ENV: the child's whole environment; never the worker's own. */
  env?: Readonly<Record<string, string>>;
  input?: string | Buffer;
  /** Called with each stderr/stdout line, e.g. to heartbeat build progress. */
  onLine?: (line: string) => void;
  encoding?: 'utf8' | 'buffer';
}

/**
 * Every child process of tempered starts here: `env` is its whole
 * environment on top of MINIMAL_ENV, never the worker's (lint keeps
 * node:child_process out of every other file of lib/).
 */
export function spawnChild(command: string, args: readonly string[], options: Omit<SpawnOptions, 'env'> & { env?: Readonly<Record<string, string>> } = {}): ChildProcessWithoutNullStreams {
  // Typed as all-pipes: a caller that sets one stream to 'ignore' does not touch it.
  return spawn(command, args, { ...options, env: { ...MINIMAL_ENV, ...options.env } }) as ChildProcessWithoutNullStreams;
}

export function exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<string> {
  return execBuffer(command, args, options).then((b) => b.toString('utf8'));
}

export function execBuffer(command: string, args: readonly string[], options: ExecOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let partial = '';
    const lines = (chunk: Buffer) => {
      if (!options.onLine) return;
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) options.onLine(line);
    };
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      lines(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      if (err.length > 64_000) err = err.slice(-32_000);
      lines(d);
    });
    child.on('error', (e) => reject(new ExecError(command, null, e.message)));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new ExecError([command, ...args].join(' ').slice(0, 300), code, err))));
    child.stdin.end(options.input);
  });
}
