/**
 * Runs CLI commands in the test's own process, as cli/main.ts would: the
 * exit code, stdout and stderr of one invocation, with commander's usage
 * errors mapped to exit code 2. For parsing tests that must never connect.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../../cli/output';
import { reportError } from '../../cli/runtime';

export async function runInProcess(registers: readonly ((program: Command) => void)[], args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const cli = new Command('tempered').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  for (const register of registers) register(cli);
  const error = jest.spyOn(console, 'error').mockImplementation((line: string) => void (err += `${line}\n`));
  try {
    await cli.parseAsync(['node', 'tempered', ...args]);
    return { code: ExitCode.ok, out, err };
  } catch (e) {
    // As cli/main.ts maps them.
    const code = e instanceof CommanderError ? (e.exitCode === 0 ? ExitCode.ok : ExitCode.usage) : reportError(e);
    return { code, out, err };
  } finally {
    error.mockRestore();
  }
}
