/**
 * A Docker engine of the test's own (Debian's dockerd with its own containerd,
 * socket, data root and exec root under one temp directory), so a fault test
 * can restart or kill an engine without touching the machine's shared one on
 * /var/run/docker.sock. No bridge, no iptables: containers get `lo` only.
 * Give `socket` to workers as TEMPERED_DOCKER_SOCKET.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { waitFor } from './ports';

export interface TestDockerd {
  socket: string;
  docker: Docker;
  log: string;
  /** SIGTERM (a `systemctl restart docker`): running containers are stopped, the API goes away, then comes back. */
  restart(): Promise<{ downMs: number }>;
  stop(): Promise<void>;
}

export async function startDockerd(): Promise<TestDockerd> {
  // Short: unix socket paths (containerd's below exec-root among them) are limited to 108 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdd-'));
  const socket = path.join(dir, 'docker.sock');
  const log = path.join(dir, 'dockerd.log');
  const args = [
    '--host', `unix://${socket}`,
    '--data-root', path.join(dir, 'data'),
    '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'docker.pid'),
    '--bridge=none', '--iptables=false', '--ip6tables=false',
    '--log-level', 'warn',
  ];
  const docker = new Docker({ socketPath: socket });
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn('dockerd', args, { stdio: ['ignore', fs.openSync(log, 'a'), fs.openSync(log, 'a')] });
    const exited = child;
    await waitFor(`dockerd on ${socket}`, async () => {
      if (exited.exitCode !== null) throw new Error(`dockerd exited ${exited.exitCode}: ${fs.readFileSync(log, 'utf8').slice(-2000)}`);
      await docker.ping();
      return true;
    }, 60_000);
  };
  const signal = async (sig: NodeJS.Signals) => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill(sig);
    await exited;
  };

  await start();
  return {
    socket,
    docker,
    log,
    restart: async () => {
      const t0 = Date.now();
      await signal('SIGTERM');
      await start();
      return { downMs: Date.now() - t0 };
    },
    stop: async () => {
      await signal('SIGTERM');
      // dockerd unmounts its overlays on a clean stop; whatever a crash left mounted would make rm fail.
      const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dir));
      for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
