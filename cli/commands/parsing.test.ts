/**
 * Argument parsing of the on-call commands, in process: bad input is exit
 * code 2 with a one-line reason, raised before any connection is tried (the
 * address below would answer "unreachable" if one were).
 */
import { ExitCode } from '../output';
import { runInProcess } from '../../test/support/inProcessCli';
import { registerHistory } from './history';
import { registerPause } from './pause';
import { registerRebuild } from './rebuild';
import { registerResume } from './resume';
import { registerRetry } from './retry';
import { registerRollback } from './rollback';

process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';

const parse = (args: string[]) => runInProcess([registerRebuild, registerRetry, registerPause, registerResume, registerRollback, registerHistory], args);

test.each([
  [['pause', 'base'], /required option '--reason <text>' not specified/],
  [['pause', 'base', '--reason', ' '], /^error: --reason: say why/],
  [['pause', 'base', '--reason', 'a\nb'], /^error: --reason: one line/],
  [['rollback', 'base', '--reason', 'x'], /missing required argument 'digest'/],
  [['rollback', 'base', 'latest', '--reason', 'x'], /^error: "latest" is not a digest/],
  [['rollback', 'base', 'sha256:abc', '--reason', 'x'], /^error: "sha256:abc" is not a digest/],
  [['rollback', 'base', `sha256:${'a'.repeat(64)}`], /required option '--reason <text>' not specified/],
  [['rebuild', 'Base:prod'], /^error: "Base:prod" is not an image .*use NAME \(the newest release, runtime\)/],
  [['rebuild', 'base', '--by', ''], /^error: --by: give a name/],
  [['rebuild', 'base', '--bogus'], /unknown option '--bogus'/],
  [['retry', 'base', '--wait', '--timeout', 'soon'], /^error: --timeout: "soon" is not a positive number of minutes/],
  [['resume'], /missing required argument 'image'/],
  [['history', 'image:base'], /^error: "image:base" is not an image/],
  [['history', 'export'], /missing required argument 'image'/],
  [['history', 'replay', '/no/such/dir'], /^error: not found: \/no\/such\/dir/],
])('%j is a usage error (exit 2)', async (args, message) => {
  const r = await parse(args);
  expect({ code: r.code, out: r.out }).toEqual({ code: ExitCode.usage, out: '' });
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/not reachable/);
});

test('history IMAGE is history show IMAGE', async () => {
  const help = await parse(['history', '--help']);
  expect(help.code).toBe(ExitCode.ok);
  expect(help.out).toMatch(/show \[options\] <image>[\s\S]*export \[options\] <image>[\s\S]*replay \[options\] <paths\.\.\.>/);
});

test.each(['rebuild', 'retry', 'pause', 'resume', 'rollback', 'history show', 'history export', 'history replay'])('%s --help documents --json', async (command) => {
  const r = await parse([...command.split(' '), '--help']);
  expect(r.code).toBe(ExitCode.ok);
  expect(r.out).toMatch(/^Usage: tempered /);
  expect(r.out).toMatch(/--json\s+print JSON for scripts/);
});
