/** Command tests: each runs in its own container, with network none and a timeout. */
import type { ImageTest } from '../../domain/catalog/definition';
import type { RunResult } from '../engine/run';
import { patternFinds } from '../../domain/catalog/testPattern';

export type CommandTest = Extract<ImageTest, { command: string[] }>;

const command = (name: string, argv: string[], expect: Partial<CommandTest>): CommandTest => ({
  name, command: argv, env: {}, exitCode: 0, timeoutSeconds: 30, ...expect,
});

/** What makes a dev image usable for building: a shell, apt, a consistent dpkg database, root. */
export const DEV_POLICY_COMMANDS: CommandTest[] = [
  command('a shell runs: sh -c "echo ok"', ['/bin/sh', '-c', 'echo ok'], { stdout: 'ok\n' }),
  command('apt-get works', ['apt-get', '--version'], { stdoutMatches: '^apt ' }),
  command('dpkg database has no half-installed package', ['dpkg', '--audit'], { stdout: '' }),
  command('processes run as root', ['id', '-u'], { stdout: '0\n' }),
];

/** A runtime image must not start `/bin/sh` (tried in the probe's container: lib/imageTests/probe.ts). */
export const NO_SHELL_TEST_NAME = '/bin/sh cannot be started in the image';

export function evaluateShellAttempt(attempt: { exitCode: number; stdout: string } | undefined): string | undefined {
  if (!attempt) return 'the probe did not try /bin/sh';
  return attempt.exitCode !== 0 && !attempt.stdout.includes('shell') ? undefined : `a shell ran (exit ${attempt.exitCode})`;
}

/**
 * How much longer a command test may run when its image's architecture is not the machine's. A
 * definition's timeout is for the image on its own architecture; under qemu-user emulation a JVM or an
 * interpreter starts several times slower, more on a busy machine. Measured here: java:trixie's keytool
 * listing the CA store took 7 s as amd64 and over 30 s as arm64 while the cluster's workers built.
 */
export const EMULATED_TIMEOUT_FACTOR = 5;

/** The test as it runs on this machine: its timeout scaled when the image runs under emulation. */
export function onThisMachine(test: CommandTest, emulated: boolean): CommandTest {
  return emulated ? { ...test, timeoutSeconds: test.timeoutSeconds * EMULATED_TIMEOUT_FACTOR } : test;
}

export function evaluateCommand(test: CommandTest, result: RunResult, emulated = false): string | undefined {
  if (result.timedOut) {
    return `timed out after ${test.timeoutSeconds}s${emulated ? ` (the definition's ${test.timeoutSeconds / EMULATED_TIMEOUT_FACTOR}s x${EMULATED_TIMEOUT_FACTOR}: under emulation)` : ''}`;
  }
  if (result.exitCode !== test.exitCode) return `exit code ${result.exitCode}, expected ${test.exitCode}: ${result.stderr.trim().slice(0, 300)}`;
  if (test.stdout !== undefined && result.stdout !== test.stdout) return `stdout ${JSON.stringify(result.stdout.slice(0, 200))}, expected ${JSON.stringify(test.stdout)}`;
  if (test.stdoutMatches !== undefined && !patternFinds(test.stdoutMatches, result.stdout)) return `stdout ${JSON.stringify(result.stdout.slice(0, 200))} does not match /${test.stdoutMatches}/`;
  if (test.stderrMatches !== undefined && !patternFinds(test.stderrMatches, result.stderr)) return `stderr does not match /${test.stderrMatches}/`;
  return undefined;
}
