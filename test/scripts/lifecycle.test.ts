/**
 * scripts/up and scripts/down as a user runs them, on their own ports and
 * state directory (an empty catalog, so nothing is built): every process
 * `up` starts is recorded by its own PID and `down` stops exactly those;
 * `up` twice leaves one worker; a killed `up` shell, an orphaned worker and
 * a worker of another checkout are each handled as docs say.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CliResult, runProcess } from '../support/cli';
import { freePort } from '../support/ports';
import { until } from '../support/wait';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');
let stateDir: string;
let env: Record<string, string>;

const script = (name: string, args: string[] = []) => runProcess(path.join(ROOT, 'scripts', name), args, env);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const recorded = (name: string): number | undefined => {
  const file = path.join(stateDir, 'run', `${name}.pid`);
  return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').split(' ')[0]) : undefined;
};

/** Worker processes whose environment names this test's state directory, as `ps` would find them. */
function workersOfStateDir(): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      return cmdline.includes('dist/workers/') && environ.includes(`TEMPERED_STATE_DIR=${stateDir}`);
    } catch {
      return false;
    }
  });
}

const ok = (r: CliResult) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
};

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-lifecycle-'));
  const empty = path.join(stateDir, 'empty-catalog');
  fs.mkdirSync(path.join(empty, 'customizations'), { recursive: true });
  env = {
    TEMPERED_STATE_DIR: stateDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPERED_UI_PORT: String(await freePort()),
    TEMPERED_REGISTRY: `127.0.0.1:${await freePort()}`,
    TEMPERED_CATALOG_DIR: empty,
    TEMPERED_CUSTOMIZATIONS_DIR: path.join(empty, 'customizations'),
  };
});

afterAll(async () => {
  await script('down');
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test('down stops every process up started, and waits until each is gone', async () => {
  ok(await script('up', ['--no-wait']));
  const pids = ['workers', 'temporal', 'registry'].map((name) => [name, recorded(name)] as const);
  for (const [name, pid] of pids) expect([name, pid !== undefined && alive(pid)]).toEqual([name, true]);
  // The recorded worker PID is the worker itself, not a shell around it.
  expect(workersOfStateDir()).toEqual([recorded('workers')]);
  const down = ok(await script('down'));
  for (const [name, pid] of pids) {
    expect([name, alive(pid as number)]).toEqual([name, false]);
    expect(down).toContain(`stopped ${name} (pid ${pid})`);
  }
  expect(workersOfStateDir()).toEqual([]);
});

test('up twice runs one set of workers', async () => {
  ok(await script('up', ['--no-wait']));
  const second = ok(await script('up', ['--no-wait']));
  expect(second).toContain(`workers already running (pid ${recorded('workers')})`);
  expect(workersOfStateDir()).toEqual([recorded('workers')]);
  ok(await script('down'));
  expect(workersOfStateDir()).toEqual([]);
});

test('down still stops the workers after the shell that ran up was killed', async () => {
  const up: ChildProcess = spawn(path.join(ROOT, 'scripts/up'), ['--no-wait'], { env: { PATH: process.env.PATH ?? '', HOME: '/root', ...env }, stdio: 'ignore' });
  const exited = new Promise((r) => up.once('exit', r));
  const worker = await until('the worker started by up', () => {
    const pid = recorded('workers');
    return pid !== undefined && workersOfStateDir().includes(pid) ? pid : undefined;
  }, 120_000);
  up.kill('SIGKILL');
  await exited;
  expect(alive(worker)).toBe(true);
  ok(await script('down'));
  expect(alive(worker)).toBe(false);
  expect(workersOfStateDir()).toEqual([]);
});

test('an orphaned worker of this checkout is stopped; one of another checkout is reported, never killed, and up refuses to start beside it', async () => {
  ok(await script('up', ['--no-wait']));
  const orphan = recorded('workers') as number;
  // What the old scripts/up left: a pid file naming a process that is not the worker.
  fs.writeFileSync(path.join(stateDir, 'run', 'workers.pid'), `${process.pid} 1\n`);
  const down = ok(await script('down'));
  expect(down).toContain(`worker pid ${orphan} for ${stateDir} is not in`);
  expect(alive(orphan)).toBe(false);
  expect(alive(process.pid)).toBe(true);

  const other = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-other-checkout-'));
  const foreign = spawn(process.execPath, [path.join(ROOT, 'dist/workers/main.js')], { cwd: other, env: { PATH: process.env.PATH ?? '', HOME: '/root', ...env }, stdio: 'ignore' });
  try {
    await until('the other checkout\'s worker', () => workersOfStateDir().includes(foreign.pid as number));
    const refused = await script('up', ['--no-wait']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`already running (pid ${foreign.pid}, started from ${other})`);
    const report = ok(await script('down'));
    expect(report).toContain(`NOT stopped: pid ${foreign.pid}`);
    expect(alive(foreign.pid as number)).toBe(true);
  } finally {
    foreign.kill('SIGKILL');
    fs.rmSync(other, { recursive: true, force: true });
  }
});

test('a bench run without a Docker engine stops at once and names it', async () => {
  const started = Date.now();
  const result = await runProcess(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'bench/main.ts'), 'impact'], {
    TEMPERED_DOCKER_SOCKET: path.join(stateDir, 'no-engine.sock'),
  });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain(`a Docker engine at ${path.join(stateDir, 'no-engine.sock')}`);
  expect(Date.now() - started).toBeLessThan(20_000);
});
