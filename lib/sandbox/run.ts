/**
 * Runs code that comes from an image (a Python interpreter compiling its
 * standard library, dpkg's maintainer scripts inside mmdebstrap) where it
 * can harm nothing on the host:
 *
 *   unshare --net --ipc --uts --pid --mount-proc ...     (as root: no network but a down loopback, own pids)
 *     setpriv --reuid --regid --clear-groups               (drop to the unprivileged sandbox account)
 *       [unshare --user --map-root-user --mount]          (its own user and mount namespace: root only inside,
 *                                                          a private tmpfs on /tmp)
 *         /bin/sh -c SCRIPT                                 (the host's shell, with only `env`)
 *
 * The sandbox sees the host's files only as the sandbox account does (no
 * state directory, no signing key: both are root's, 0700), writes nothing
 * but its tmpfs (or, for mmdebstrap, a scratch directory it owns), reaches
 * no network, and gets none of the worker's environment. Its output is a
 * stream the builder parses with its own rules.
 */
import { spawnChild } from '../process/exec';
import { PassThrough, type Readable } from 'node:stream';
import type { SandboxAccount } from './account';
import { TemperedError } from '../../domain/errors';

export interface SandboxRun {
  account: SandboxAccount;
  /** Run by the host's /bin/sh inside the sandbox. */
  script: string;
  /** The whole environment of the script (added to MINIMAL_ENV). */
  env?: Record<string, string>;
  stdin?: Readable | Buffer;
  /**
   * `own`: a user namespace where the account is root, and a private tmpfs of
   * `tmpfsBytes` on /tmp (the working directory). `none`: the account as is;
   * for mmdebstrap's unshare mode, which makes its own user namespace from the
   * account's subuid range (setuid newuidmap: no no_new_privs then).
   */
  userNamespace: 'own' | 'none';
  tmpfsBytes?: number;
  cwd?: string;
  timeoutMs: number;
  /** Lines of stderr as they come (progress). */
  onStderrLine?: (line: string) => void;
}

/** The sandboxed script could not start, exited non-zero, or was killed at its timeout. */
export class SandboxError extends TemperedError<'SANDBOX_FAILED'> {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super('SANDBOX_FAILED', message);
  }
}

export interface SandboxProcess {
  stdout: Readable;
  /** Resolves when the sandbox exited 0; rejects with its stderr tail otherwise. */
  done: Promise<void>;
}

const TMPFS_DEFAULT = 4 * 1024 ** 3;

export function runSandboxed(run: SandboxRun): SandboxProcess {
  const { account } = run;
  const inner = run.userNamespace === 'own'
    ? ['unshare', '--user', '--map-root-user', '--mount', '--', '/bin/sh', '-c', `mount -t tmpfs -o size=${run.tmpfsBytes ?? TMPFS_DEFAULT},mode=0700 tempered-sandbox /tmp && cd /tmp && ${run.script}`]
    : ['/bin/sh', '-c', run.script];
  const args = [
    // --mount-proc: a /proc of the new pid namespace, or newuidmap would look at a host process of the same pid.
    '--net', '--ipc', '--uts', '--pid', '--fork', '--kill-child', '--mount', '--mount-proc', '--',
    'setpriv', `--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', ...(run.userNamespace === 'own' ? ['--no-new-privs'] : []), '--',
    ...inner,
  ];
  const child = spawnChild('unshare', args, { cwd: run.cwd ?? '/', env: run.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout = new PassThrough();
  child.stdout.pipe(stdout);
  let stderr = '';
  let partial = '';
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString('utf8');
    stderr = (stderr + text).slice(-64_000);
    if (!run.onStderrLine) return;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) run.onStderrLine(line);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), run.timeoutMs);
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new SandboxError(`cannot start the sandbox (unshare): ${err.message}`, null, '')));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const why = signal === 'SIGKILL' ? `killed after ${run.timeoutMs} ms` : `exited ${code}`;
      const error = new SandboxError(`sandboxed ${run.script.split(' ')[0]} ${why}: ${stderr.trim().split('\n').slice(-8).join(' | ').slice(0, 1500)}`, code, stderr);
      stdout.destroy(error);
      reject(error);
    });
  });
  // The script may stop reading (it failed): that is reported by its exit, not by EPIPE here.
  child.stdin.on('error', () => undefined);
  if (Buffer.isBuffer(run.stdin)) child.stdin.end(run.stdin);
  else if (run.stdin) run.stdin.pipe(child.stdin);
  else child.stdin.end();
  return { stdout, done };
}
