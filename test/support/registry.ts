/**
 * A real registry (Debian's docker-registry, distribution 2.8) for one test
 * file: its own port and storage under a temp dir, optional htpasswd auth.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, waitFor } from './ports';

export interface TestRegistry {
  host: string;
  dir: string;
  stop(): Promise<void>;
  /** Stops the process but keeps its storage, for outage tests; start() brings it back on the same port. */
  pause(): Promise<void>;
  start(): Promise<void>;
}

export async function startRegistry(options: { htpasswd?: string; port?: number } = {}): Promise<TestRegistry> {
  const port = options.port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-registry-'));
  const auth = options.htpasswd
    ? `auth:\n  htpasswd:\n    realm: tempered-test\n    path: ${path.join(dir, 'htpasswd')}\n`
    : '';
  if (options.htpasswd) fs.writeFileSync(path.join(dir, 'htpasswd'), options.htpasswd);
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  let child: ChildProcess | undefined;
  const host = `127.0.0.1:${port}`;
  const start = async () => {
    child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'registry.log'), 'a')] });
    await waitFor(`registry on ${host}`, async () => {
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
      return res.status === 200 || res.status === 401;
    });
  };
  const pause = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    host,
    dir,
    start,
    pause,
    stop: async () => {
      await pause();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An htpasswd line with a bcrypt hash (cost 4: the registry checks it on every request), made from stdin, not argv. */
export function htpasswdLine(user: string, password: string): string {
  const script = 'import crypt,sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))';
  return `${user}:${execFileSync('python3', ['-W', 'ignore', '-c', script], { input: password }).toString().trim()}\n`;
}
