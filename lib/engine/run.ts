/**
 * Runs one command in a throwaway container: network none, a hard timeout,
 * stdout and stderr captured apart, the container removed whatever happens.
 */
import { PassThrough } from 'node:stream';
import { dockerClient } from './client';

export interface RunRequest {
  image: string;
  command: string[];
  /** Replaces the image entrypoint; [] clears it so `command` is run as is. */
  entrypoint?: string[];
  user?: string;
  env?: Record<string, string>;
  binds?: string[];
  /** `linux/arm64/v8`: an image of another architecture runs under the host's binfmt emulation (qemu-user). */
  platform?: string;
  timeoutSeconds: number;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /**
   * Ended by SIGKILL or SIGTERM (exit 137 or 143) that its own timeout did
   * not send: the engine stopping it for a shutdown or restart, the OOM
   * killer, an operator's `docker kill`. Says nothing about the image.
   */
  killed: boolean;
  durationMs: number;
}

/**
 * What is kept of each stream: an image prints what it likes, and a test
 * reads a version line or a file; megabytes beyond this are counted, not kept.
 */
export const MAX_CAPTURED_BYTES = 8 * 1024 * 1024;

/** Collects a stream's first MAX_CAPTURED_BYTES. */
function capped(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  let kept = 0;
  stream.on('data', (d: Buffer) => {
    if (kept >= MAX_CAPTURED_BYTES) return;
    const part = d.subarray(0, MAX_CAPTURED_BYTES - kept);
    chunks.push(part);
    kept += part.length;
  });
  return () => Buffer.concat(chunks).toString('utf8');
}

/** 128 + SIGKILL, 128 + SIGTERM: how a container's exit code reads when it was killed. */
const KILLED_EXIT_CODES = new Set([137, 143]);

export async function runInContainer(request: RunRequest): Promise<RunResult> {
  const docker = dockerClient();
  const started = Date.now();
  const container = await docker.createContainer({
    ...(request.platform ? { platform: request.platform } : {}),
    Image: request.image,
    Cmd: request.command,
    Entrypoint: request.entrypoint,
    User: request.user,
    Env: Object.entries(request.env ?? {}).map(([k, v]) => `${k}=${v}`),
    NetworkDisabled: true,
    HostConfig: { NetworkMode: 'none', Binds: request.binds ?? [], ReadonlyRootfs: false, AutoRemove: false },
    Labels: { 'dev.tempered.test': 'true' },
  });
  try {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = capped(stdout);
    const err = capped(stderr);
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    container.modem.demuxStream(stream, stdout, stderr);
    const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
    try {
      await container.start();
    } catch (e) {
      // The engine refuses to start a command that does not exist: that is a result, not an error.
      const message = (e as Error).message;
      if (/executable file not found|no such file or directory|exec format error|permission denied/i.test(message)) {
        return { exitCode: 127, stdout: '', stderr: message, timedOut: false, killed: false, durationMs: Date.now() - started };
      }
      throw e;
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      container.kill().catch(() => undefined);
    }, request.timeoutSeconds * 1000);
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    clearTimeout(timer);
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))]);
    return {
      exitCode: StatusCode,
      stdout: out(),
      stderr: err(),
      timedOut,
      killed: !timedOut && KILLED_EXIT_CODES.has(StatusCode),
      durationMs: Date.now() - started,
    };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
