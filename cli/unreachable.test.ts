/**
 * Every command that talks to Temporal, run as users run it (the compiled
 * CLI, `npm run build` first), against a port nothing listens on: exit code
 * 3 and exactly one line on stderr, never a gRPC stack trace. Argument
 * parsing itself is tested in process (commands/parsing.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI_MAIN, runCli } from '../test/support/cli';
import { freePort } from '../test/support/ports';

jest.setTimeout(120_000);

const DIGEST = `sha256:${'ab'.repeat(32)}`;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  if (!fs.existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run npm run build first`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-cli-'));
  fs.writeFileSync(path.join(dir, 'advisory.json'), JSON.stringify({ id: 'CVE-2026-1234', source: 'openssl', fixedVersion: '3.0.22-1~deb12u2' }));
  fs.writeFileSync(path.join(dir, 'feed.json'), '{}');
  // A port that was free a moment ago and that nothing listens on.
  env = { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, TEMPERED_STATE_DIR: path.join(dir, 'state') };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const TALKS_TO_TEMPORAL: string[][] = [
  ['status'],
  ['status', 'base'],
  ['advisory', 'submit', 'advisory.json'],
  ['impact', 'feed.json'],
  ['up', '--no-wait'],
  ['monitor', 'run'],
  ['monitor', 'status'],
  ['rebuild', 'base', '--note', 'new CA bundle'],
  ['rebuild', 'base', '--wait', '--json'],
  ['retry', 'base:dev'],
  ['pause', 'image:base:bookworm:runtime', '--reason', 'registry migration'],
  ['resume', 'custom:python-app'],
  ['rollback', 'base', DIGEST, '--reason', 'bad openssl'],
  ['history', 'base'],
  ['history', 'show', 'base', '--json'],
  ['history', 'export', 'base', '--out', 'exported'],
];

test('with Temporal down, every command that needs it exits 3 with one line on stderr', async () => {
  const results = await Promise.all(
    TALKS_TO_TEMPORAL.map(async (args) => ({ args: args.join(' '), ...(await runCliIn(dir, args, env)) })),
  );
  for (const r of results) {
    const lines = r.stderr.trimEnd().split('\n');
    expect({ args: r.args, code: r.code, lines: lines.length, stdout: r.stdout }).toEqual({ args: r.args, code: 3, lines: 1, stdout: '' });
    expect(lines[0]).toMatch(new RegExp(`^error: Temporal is not reachable at ${env.TEMPORAL_ADDRESS} \\(.+\\); start it with scripts/up or set TEMPORAL_ADDRESS$`));
  }
});

test('the compiled CLI refuses bad input with exit 2 before connecting, and has --help', async () => {
  const [usage, help] = await Promise.all([runCliIn(dir, ['rollback', 'base', 'latest', '--reason', 'x'], env), runCliIn(dir, ['history', '--help'], env)]);
  expect({ code: usage.code, stderr: usage.stderr }).toEqual({ code: 2, stderr: 'error: "latest" is not a digest: use sha256:<64 hex digits> or at least 7 leading hex digits\n' });
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: tempered history/);
});

/** runCli from a working directory (relative file arguments). */
function runCliIn(cwd: string, args: string[], extra: Record<string, string>) {
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    return runCli(args, extra);
  } finally {
    process.chdir(previous);
  }
}
