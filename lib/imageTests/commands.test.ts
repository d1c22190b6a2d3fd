import { EMULATED_TIMEOUT_FACTOR, evaluateCommand, onThisMachine, type CommandTest } from './commands';
import { DefinitionSchema } from '../../domain/catalog/definition';

const test_ = (expect: Partial<CommandTest>): CommandTest => ({ name: 't', command: ['x'], env: {}, exitCode: 0, timeoutSeconds: 30, ...expect });
const ran = (stdout: string) => ({ exitCode: 0, stdout, stderr: '', timedOut: false, killed: false, durationMs: 1 });

describe('expected-output patterns', () => {
  // A backtracking engine takes hours on this; the worker's main thread would hang (jest gives it 5 s).
  it('match in linear time, whatever the pattern and the output', () => {
    expect(evaluateCommand(test_({ stdoutMatches: '^(a+)+$' }), ran(`${'a'.repeat(40)}!`))).toContain('does not match /^(a+)+$/');
    expect(evaluateCommand(test_({ stdoutMatches: '^(a|aa)+$' }), ran(`${'a'.repeat(100_000)}!`))).toContain('does not match');
    expect(evaluateCommand(test_({ stdoutMatches: '^Python 3\\.11\\.' }), ran('Python 3.11.2\n'))).toBeUndefined();
  });
  it('look at the first MiB of a long output only', () => {
    expect(evaluateCommand(test_({ stdoutMatches: 'needle' }), ran(`${' '.repeat(2 * 1024 * 1024)}needle`))).toContain('does not match');
  });
  it('that need backtracking are refused where the definition is read, naming the field', () => {
    const parsed = DefinitionSchema.safeParse({ name: 'x', description: 'x', packages: { include: ['libc6'] }, tests: [{ name: 't', command: ['x'], stdoutMatches: '(a)\\1' }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['tests', 0, 'stdoutMatches'], message: expect.stringContaining('is not a linear-time (RE2) regular expression') });
  });
});

describe('timeouts under emulation', () => {
  it('stretch by the emulation factor, and a timeout says so', () => {
    const definition = test_({ timeoutSeconds: 30 });
    expect(onThisMachine(definition, false)).toBe(definition);
    const emulated = onThisMachine(definition, true);
    expect(emulated.timeoutSeconds).toBe(30 * EMULATED_TIMEOUT_FACTOR);
    const timedOut = { ...ran(''), timedOut: true };
    expect(evaluateCommand(definition, timedOut)).toBe('timed out after 30s');
    expect(evaluateCommand(emulated, timedOut, true)).toBe(`timed out after ${30 * EMULATED_TIMEOUT_FACTOR}s (the definition's 30s x${EMULATED_TIMEOUT_FACTOR}: under emulation)`);
  });
});
