/**
 * Bad-input corpus: `tempered` argument vectors, run in-process through the
 * CLI's own entry point (cli/main.ts `run`), against a real dev
 * server so that commands which validate after connecting are reached.
 *
 * The CLI's contract (main.ts): exit 2 for bad input, with an `error:` line
 * on stderr naming what was wrong (the command, option or argument), and
 * never a stack trace. Every vector here is malformed by construction; the
 * environment points at temporary directories, the test server and closed
 * loopback ports, so a vector that were accepted would touch nothing real.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { InputError } from '../../domain/schema/errors';
import { readAdvisories } from '../../cli/commands/advisory';
import { run } from '../../cli/main';
import { freePort } from '../support/ports';
import { startTemporal, type TestTemporal } from '../support/temporal';
import { malformedAdvisory } from '../unit-corpus/advisoryCases';
import { fcParams, RUNS } from '../unit-corpus/arbitraries';

jest.setTimeout(600_000);

let temporal: TestTemporal;
let tmp: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  temporal = await startTemporal();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-cli-corpus-'));
  fs.mkdirSync(path.join(tmp, 'catalog', 'customizations'), { recursive: true });
  const closed = await freePort();
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPERED_STATE_DIR: path.join(tmp, 'state'),
    TEMPERED_CATALOG_DIR: path.join(tmp, 'catalog'),
    TEMPERED_CUSTOMIZATIONS_DIR: path.join(tmp, 'catalog', 'customizations'),
    TEMPERED_REGISTRY: `127.0.0.1:${closed}`,
    TEMPERED_ARCHIVE: JSON.stringify([{ uri: `http://127.0.0.1:${closed}/debian`, suites: ['bookworm'] }]),
    TEMPERED_DEB_CACHE: path.join(tmp, 'debs'),
    TEMPERED_ARCHIVE_CACHE: path.join(tmp, 'archive'),
  });
});
afterAll(async () => {
  process.env = savedEnv;
  await temporal?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Outcome {
  code: number;
  stderr: string;
  stdout: string;
}

/** `tempered ...argv` in this process, its console output captured (jest replaces console, so both are caught). */
async function tempered(argv: string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const spies = [
    jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' '))),
    jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' '))),
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true)),
  ];
  try {
    const code = await run(['node', 'tempered', ...argv]);
    return { code, stderr: err.join(''), stdout: out.join('') };
  } finally {
    for (const spy of spies) spy.mockRestore();
    process.exitCode = undefined;
  }
}

/** A malformed vector, and the text the refusal must contain to name what was wrong. */
interface Vector {
  argv: string[];
  needle: string;
  what: string;
}

function assertRefused(vector: Vector, outcome: Outcome): void {
  const ok = outcome.code === 2 && outcome.stderr.includes(vector.needle) && !/\n\s+at .+:\d+:\d+\)?\n/.test(outcome.stderr);
  if (!ok) {
    throw new Error(
      `${vector.what}: tempered ${JSON.stringify(vector.argv)} exited ${outcome.code} (want 2 naming ${JSON.stringify(vector.needle)})\n` +
        `stderr: ${outcome.stderr.slice(0, 600)}\nstdout: ${outcome.stdout.slice(0, 300)}`,
    );
  }
}

// ------------------------------------------------------------------ the command tree, as the CLI defines it

interface CommandSpec {
  path: string[];
  /** Required positional arguments: name and a value that passes commander (the action never runs in these cases). */
  args: { name: string; value: string }[];
  /** How many optional positional arguments follow the required ones. */
  optional?: number;
  options: string[];
  /** Options that take a value. */
  valued: { flag: string; usage: string }[];
}

const COMMANDS: CommandSpec[] = [
  { path: ['status'], args: [], optional: 1, options: ['--json'], valued: [] },
  { path: ['advisory', 'submit'], args: [{ name: 'file', value: 'advisories.json' }], options: ['--dry-run', '--json'], valued: [] },
  { path: ['build'], args: [{ name: 'name', value: 'base' }], options: ['--load', '--json'], valued: [{ flag: '--variant', usage: '--variant <variant>' }] },
  { path: ['lock'], args: [{ name: 'name', value: 'base' }], options: ['--json'], valued: [] },
  { path: ['up'], args: [], options: ['--no-wait', '--json'], valued: [{ flag: '--timeout', usage: '--timeout <minutes>' }] },
  { path: ['keys', 'init'], args: [], options: ['--force', '--json'], valued: [] },
  { path: ['keys', 'show'], args: [], options: ['--json'], valued: [] },
  { path: ['impact'], args: [{ name: 'feed', value: 'feed.json' }], options: ['--json'], valued: [] },
  { path: ['monitor', 'run'], args: [], options: ['--json'], valued: [{ flag: '--timeout', usage: '--timeout <minutes>' }] },
  { path: ['monitor', 'status'], args: [], options: ['--json'], valued: [] },
  { path: ['verify'], args: [{ name: 'image', value: '127.0.0.1:5000/tempered/base:bookworm' }], options: ['--json'], valued: [{ flag: '--key', usage: '--key <file>' }] },
];
const TOP_LEVEL = ['status', 'advisory', 'build', 'lock', 'up', 'keys', 'impact', 'monitor', 'verify', 'help'];

const command = fc.constantFrom(...COMMANDS);
/** Words that are no command: typos, case, unicode, traversal, pollution keys. */
const notACommand = fc
  .oneof(
    fc.constantFrom('Status', 'statu', 'advisories', 'bulid', 'stat\u00fcs', '..', '../status', '__proto__', 'constructor', 'toString', '\u200bstatus', 'UP', 'ls'),
    fc.stringMatching(/^[a-z][a-z0-9_.:-]{0,14}$/),
  )
  .filter((w) => !TOP_LEVEL.includes(w));
/** Positional junk that is no option (commander reads a leading dash as an option). */
const positional = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_./:@+=%-]{1,20}$/), fc.constantFrom('\u00e9', '$(id)', '`id`', 'a b', '*', '{}')).filter((s) => !s.startsWith('-'));

const unknownCommand: fc.Arbitrary<Vector> = fc.tuple(notACommand, fc.array(positional, { maxLength: 2 })).map(([word, rest]) => ({
  argv: [word, ...rest],
  needle: `unknown command '${word}'`,
  what: 'unknown command',
}));

const unknownOption: fc.Arbitrary<Vector> = fc
  .tuple(command, fc.oneof(fc.stringMatching(/^--[a-z][a-z0-9-]{0,14}$/), fc.stringMatching(/^-[a-gi-zA-Z]$/), fc.constantFrom('--JSON', '--dryrun', '--variant-', '--__proto__', '--no-json', '--force=yes')))
  // `--wait` is the positive form commander may derive from `--no-wait`: not a case either way.
  .filter(([c, opt]) => ![...c.options, ...c.valued.map((v) => v.flag), '--help', '-h', '--wait'].includes(opt.replace(/=.*$/, '')))
  .map(([c, opt]) => ({ argv: [...c.path, ...c.args.map((a) => a.value), opt], needle: `unknown option '${opt}'`, what: 'unknown option' }));

const missingArgument: fc.Arbitrary<Vector> = command
  .filter((c) => c.args.length > 0)
  .map((c) => ({ argv: c.path, needle: `missing required argument '${c.args[0]?.name}'`, what: 'missing argument' }));

const tooManyArguments: fc.Arbitrary<Vector> = command.chain((c) => fc.tuple(fc.constant(c), fc.array(positional, { minLength: (c.optional ?? 0) + 1, maxLength: (c.optional ?? 0) + 3 }))).map(([c, extra]) => ({
  argv: [...c.path, ...c.args.map((a) => a.value), ...extra],
  needle: `too many arguments for '${c.path.at(-1)}'`,
  what: 'too many arguments',
}));

const optionWithoutValue: fc.Arbitrary<Vector> = command
  .filter((c) => c.valued.length > 0)
  .chain((c) => fc.constantFrom(...c.valued).map((v) => ({ argv: [...c.path, ...c.args.map((a) => a.value), v.flag], needle: `option '${v.usage}' argument missing`, what: 'option without its value' })));

const badVariant: fc.Arbitrary<Vector> = positional
  .filter((v) => v !== 'runtime' && v !== 'dev')
  .map((v) => ({ argv: ['build', 'base', '--variant', v], needle: '--variant', what: 'bad --variant' }));

/** Not HOST/REPOSITORY:TAG nor HOST/REPOSITORY@sha256:<64 hex>. */
const badReference = fc.oneof(
  fc.constantFrom('nothost', 'host/repo', 'host/repo:', 'host/repo@sha256:abc', 'host/repo:-tag', 'host/repo:a b', '/repo:tag', 'host/repo@sha256:' + 'A'.repeat(64), 'host/repo:' + 'x'.repeat(129), 'host/repo@md5:' + 'a'.repeat(32)),
  fc.stringMatching(/^[a-z0-9.:]{1,20}$/),
).map((ref) => ({ argv: ['verify', ref], needle: `"${ref}" is not an image reference`, what: 'bad image reference' }));

const badTimeout = fc.constantFrom('abc', '0', 'NaN', 'Infinity', '1e999', 'ten', '5m', '');

const badMonitorTimeout: fc.Arbitrary<Vector> = badTimeout.map((t) => ({ argv: ['monitor', 'run', '--timeout', t], needle: '--timeout', what: 'bad monitor --timeout' }));

/** The problem readAdvisories reports for one item (given as the only item of a list, so that a list is an item too). */
function advisoryProblem(payload: unknown): string {
  try {
    readAdvisories(JSON.stringify([payload]), '');
  } catch (err) {
    const only = err instanceof InputError && err.problems.length === 1 ? err.problems[0] : undefined;
    if (only) return only.problem;
    throw err;
  }
  throw new Error(`generator bug: ${JSON.stringify(payload).slice(0, 300)} is a valid advisory`);
}

/** `advisory submit FILE` whose content is malformed: one advisory, or a list in which one is. */
let files = 0;
const badAdvisoryFile: fc.Arbitrary<Vector> = fc
  .oneof(
    // A top-level list is read as a list of advisories: the single-advisory case is any other value.
    malformedAdvisory(4096)
      .filter(({ payload }) => !Array.isArray(payload))
      .map(({ payload }) => ({ content: JSON.stringify(payload), needle: advisoryProblem(JSON.parse(JSON.stringify(payload))) })),
    fc.tuple(malformedAdvisory(4096), fc.nat({ max: 3 })).map(([{ payload }, at]) => ({
      content: JSON.stringify([...Array(at).fill({ id: 'CVE-2024-5535', source: 'openssl' }), payload]),
      needle: `[${at}]: ${advisoryProblem(JSON.parse(JSON.stringify(payload)))}`,
    })),
    fc.constantFrom('{', 'not json', '', '[1,', '{"id": "CVE-2024-5535",}', '\u0000').map((content) => ({ content, needle: 'not JSON' })),
  )
  .map(({ content, needle }) => {
    const file = path.join(tmp, `advisories-${files++}.json`);
    fs.writeFileSync(file, content);
    // The whole problem, as the parser words it (its first line: the CLI prints one `error:` line per problem).
    return { argv: ['advisory', 'submit', file], needle: `${file}: ${needle}`.split('\n')[0] as string, what: 'malformed advisory file' };
  });

describe('tempered argument vectors', () => {
  it(`refuses ${RUNS} malformed vectors with exit 2 and an error naming what was wrong`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(unknownCommand, unknownOption, missingArgument, tooManyArguments, optionWithoutValue, badVariant, badMonitorTimeout, badAdvisoryFile),
        async (vector) => assertRefused(vector, await tempered(vector.argv)),
      ),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} malformed image references to verify with exit 2, quoting the reference`, async () => {
    await fc.assert(fc.asyncProperty(badReference, async (vector) => assertRefused(vector, await tempered(vector.argv))), fcParams());
  });

  /** Findings of issue 8: these commands validate late, or not at all. */
  it('refuses a malformed image argument to status with exit 2, naming the argument', async () => {
    const badImage = fc.constantFrom('Base', 'base:prod', 'a:b:c:d', 'image:base', 'custom:', '../base', 'base_1', ':', 'image:Base:bookworm:dev', 'custom:a:b');
    await fc.assert(
      fc.asyncProperty(badImage, async (image) => assertRefused({ argv: ['status', image], needle: image, what: 'bad status image' }, await tempered(['status', image]))),
      fcParams(50),
    );
  });

  it('refuses a --timeout for up that is not a positive number of minutes', async () => {
    // Number('abc') is NaN and `Date.now() > NaN` is never true: `tempered up --timeout abc` would wait forever.
    await fc.assert(
      fc.asyncProperty(badTimeout, async (t) => assertRefused({ argv: ['up', '--timeout', t], needle: '--timeout', what: 'bad up --timeout' }, await tempered(['up', '--timeout', t]))),
      fcParams(20),
    );
  });

  it('refuses an advisory file that does not exist with exit 2, naming the file', async () => {
    const file = path.join(tmp, 'no-such-advisories.json');
    assertRefused({ argv: ['advisory', 'submit', file], needle: file, what: 'missing advisory file' }, await tempered(['advisory', 'submit', file]));
  });
});
