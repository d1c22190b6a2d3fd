/**
 * Holds version.ts against dpkg itself. dpkg is the definition of Debian
 * version order, so every generated pair is judged by
 * `dpkg --compare-versions`, not by a second implementation of ours.
 *
 * Starting dpkg costs milliseconds, so the oracle answers a whole batch:
 * the pairs go to files that a few bash loops feed to dpkg in parallel. The
 * property then runs over the same seeded sequence and looks the answers up;
 * only shrinking, which invents new pairs, asks dpkg one pair at a time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { InvalidVersionError, compareVersions, isValidVersion, parseVersion } from './version';

const GENERATED_PAIRS = 10_000;
const GENERATED_STRINGS = 1_000;
// FC_SEED replays a failing run; the seed is in every failure message.
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
// Locale loading is a third of dpkg's start-up time, and messages must be English.
const dpkgEnv = { ...process.env, LC_ALL: 'C' };
const hasDpkg = spawnSync('dpkg', ['--version'], { env: dpkgEnv }).status === 0;
const describeWithDpkg = hasDpkg ? describe : describe.skip;

// ---------------------------------------------------------------- generators

/** Small alphabets, so that pairs often share digits, letters and separators. */
const digitRun = fc.constantFrom('0', '00', '1', '01', '001', '2', '9', '10', '010', '99', '100');
const letterRun = fc.constantFrom('a', 'b', 'z', 'A', 'Z', 'rc', 'dfsg', 'deb', 'u');
const separator = fc.constantFrom('.', '+', '~', '~~', '.~', '+~');
const revisionToken = fc.oneof(digitRun, letterRun, separator);
// '-' and ':' are legal inside upstream only with a revision / an epoch; render() drops them otherwise.
const upstreamToken = fc.oneof({ weight: 6, arbitrary: revisionToken }, { weight: 1, arbitrary: fc.constantFrom('-', ':') });

interface VersionParts {
  epoch: string | null;
  upstream: string[];
  revision: string[] | null;
}

const versionParts: fc.Arbitrary<VersionParts> = fc.record({
  epoch: fc.option(fc.constantFrom('0', '1', '2', '01', '10'), { freq: 4 }),
  upstream: fc.tuple(digitRun, fc.array(upstreamToken, { maxLength: 6 })).map(([first, rest]) => [first, ...rest]),
  revision: fc.option(fc.array(revisionToken, { minLength: 1, maxLength: 4 }), { freq: 2 }),
});

function render(parts: VersionParts): string {
  const upstream = parts.upstream
    .filter((token) => (token !== '-' || parts.revision !== null) && (token !== ':' || parts.epoch !== null))
    .join('');
  const epoch = parts.epoch === null ? '' : `${parts.epoch}:`;
  const revision = parts.revision === null ? '' : `-${parts.revision.join('')}`;
  return `${epoch}${upstream}${revision}`;
}

/** Two versions that differ only after a common prefix of tokens. */
const sharedPrefixPair = fc
  .tuple(versionParts, fc.array(upstreamToken, { maxLength: 3 }), fc.array(upstreamToken, { maxLength: 3 }))
  .map(([base, tailA, tailB]): [string, string] => [
    render({ ...base, upstream: [...base.upstream, ...tailA] }),
    render({ ...base, upstream: [...base.upstream, ...tailB] }),
  ]);

/** Two versions that differ in one token anywhere, or in epoch or revision only. */
const mutatedPair = fc
  .tuple(versionParts, fc.nat(), upstreamToken, versionParts)
  .map(([base, at, replacement, other]): [string, string] => {
    const upstream = [...base.upstream];
    const index = 1 + (at % upstream.length);
    upstream.splice(index, at % 3 === 0 ? 0 : 1, replacement);
    const mutations: VersionParts[] = [
      { ...base, upstream },
      { ...base, epoch: other.epoch },
      { ...base, revision: other.revision },
    ];
    return [render(base), render(mutations[at % mutations.length] ?? base)];
  });

const versionPair: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 1, arbitrary: fc.tuple(versionParts.map(render), versionParts.map(render)) },
  { weight: 3, arbitrary: sharedPrefixPair },
  { weight: 3, arbitrary: mutatedPair },
);

/** Arbitrary short strings, mostly invalid: bad characters, misplaced colons and hyphens, blanks. */
const versionLikeString = fc
  .string({
    unit: fc.constantFrom('0', '1', '9', 'a', 'Z', '.', '+', '~', '-', ':', '_', '!', '/', ' ', '\t', 'é'),
    minLength: 1,
    maxLength: 8,
  })
  // dpkg takes an argument starting with '-' for an option, and an empty or
  // blank one for "<unknown>" (the lowest version), so neither says anything about syntax.
  .filter((text) => !text.startsWith('-') && text.trim().length > 0);

// ---------------------------------------------------------------- dpkg oracle

// Exit status 0 = true, 1 = false; anything else is dpkg refusing the input,
// which must stop the run rather than read as "false".
const ASK = `ask() { dpkg --compare-versions "$1" "$2" "$3"; rc=$?; [ $rc -le 1 ] || exit 1; return $rc; }`;

// Each line is "a b guess", guess being our own answer: asking dpkg about it
// first settles most pairs with one call instead of two. dpkg's yes or no
// still decides; a wrong guess only costs more calls.
const COMPARE_LOOP = `${ASK}
while IFS=' ' read -r a b guess; do
  if ask "$a" "$guess" "$b"; then echo "$guess"; continue; fi
  for op in lt eq gt; do
    if [ "$op" != "$guess" ] && ask "$a" "$op" "$b"; then echo "$op"; break; fi
  done
done`;

// Prints "valid" or dpkg's reason, e.g. "invalid character in version number".
// Builtins only (read, parameter expansion): one process per string.
const SYNTAX_LOOP = `
err=$(mktemp)
while IFS= read -r v; do
  if dpkg --compare-versions "$v" eq "$v" 2>"$err" && [ ! -s "$err" ]; then echo valid
  else IFS= read -r line < "$err"; echo "\${line#*bad syntax: }"; fi
done
rm -f "$err"`;

/**
 * Four loops, not one per core: each spends much of its time waiting for
 * its next dpkg to start. On this 2-core machine 4,000 calls took 8-11 s
 * with four loops and 17-26 s with two (other jobs running).
 */
const ORACLE_LOOPS = 4;

/** Runs `script` over the lines, split between ORACLE_LOOPS bash processes, and returns one output line per input line. */
async function runBatched(script: string, lines: readonly string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dpkg-oracle-'));
  try {
    const size = Math.ceil(lines.length / ORACLE_LOOPS);
    const chunks = Array.from({ length: ORACLE_LOOPS }, (_, i) => lines.slice(i * size, (i + 1) * size));
    const outputs = await Promise.all(
      chunks.map((chunk, i) => {
        const input = join(dir, `in-${i}`);
        writeFileSync(input, chunk.map((line) => `${line}\n`).join(''));
        return runBash(`exec < "$1"\n${script}`, input);
      }),
    );
    const answers = outputs.flatMap((output) => output.split('\n').slice(0, -1));
    if (answers.length !== lines.length) throw new Error(`dpkg oracle answered ${answers.length} of ${lines.length} lines`);
    return answers;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runBash(script: string, argument: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'oracle', argument], { env: dpkgEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`oracle bash exited ${code}`))));
  });
}

const ORDER_WORDS = ['lt', 'eq', 'gt'] as const;
const toWord = (order: number): string => ORDER_WORDS[Math.sign(order) + 1] ?? 'eq';
const fromWord = (word: string | undefined): number => ORDER_WORDS.findIndex((w) => w === word) - 1;
const oracleLine = (a: string, b: string): string => `${a} ${b} ${toWord(compareVersions(a, b))}`;

function dpkgCompareOne(a: string, b: string): number {
  const result = spawnSync('bash', ['-c', COMPARE_LOOP], { env: dpkgEnv, input: `${oracleLine(a, b)}\n`, encoding: 'utf8' });
  return fromWord(result.stdout.trim());
}

/** dpkg's order for each distinct pair, keyed "a b". */
async function dpkgOrder(pairs: ReadonlyArray<readonly [string, string]>): Promise<Map<string, number>> {
  const distinct = [...new Map(pairs.map(([a, b]) => [`${a} ${b}`, [a, b] as const])).values()];
  const answers = await runBatched(COMPARE_LOOP, distinct.map(([a, b]) => oracleLine(a, b)));
  return new Map(distinct.map(([a, b], i) => [`${a} ${b}`, fromWord(answers[i])]));
}

/** Where our parser words a problem differently from dpkg, dpkg's words mapped to ours. */
const OUR_WORDING: Readonly<Record<string, string>> = {
  'version string is empty': 'is empty',
  'version string has embedded spaces': 'contains whitespace',
  'epoch in version is empty': 'epoch is not a number',
  'epoch in version is not number': 'epoch is not a number',
  'epoch in version is negative': 'epoch is not a number',
  'epoch in version is too big': 'epoch is too big',
};

const inOurWords = (dpkgProblem: string): string => OUR_WORDING[dpkgProblem] ?? dpkgProblem;

/** "valid", or the problem our parser names. */
function ourVerdict(text: string): string {
  try {
    parseVersion(text);
    return 'valid';
  } catch (error) {
    if (error instanceof InvalidVersionError) return error.problem;
    throw error;
  }
}

// ---------------------------------------------------------------- tests

describeWithDpkg('compareVersions agrees with dpkg --compare-versions', () => {
  jest.setTimeout(120_000);

  it('on the tricky pairs from FACTS.md', async () => {
    const vectors: Array<[string, string, number]> = [
      ['1.0~rc1', '1.0', -1],
      ['1:0.1', '2.0', 1],
      ['3.0.15-1~deb12u1', '3.0.15-1', -1],
      ['1.0', '1.0-0', 0],
      ['1.01', '1.1', 0],
      ['1.0~~', '1.0~', -1],
      ['1.0a', '1.0+', -1],
      ['1.0', '1.0.0', -1],
      ['1.2-3-4', '1.2-3', 1],
      ['2.36-9+deb12u7', '2.36-9+deb12u14', -1],
      ['3.0.20-1~deb12u2', '3.0.22-1~deb12u2', -1],
      ['0:1.0', '1.0', 0],
      ['1.0+b1', '1.0', 1],
      ['1:2:3-4', '1:2:3-4~', 1],
    ];
    const dpkg = await dpkgOrder(vectors.map(([a, b]) => [a, b]));
    const seen = vectors.map(([a, b]) => [a, b, dpkg.get(`${a} ${b}`), Math.sign(compareVersions(a, b))]);
    expect(seen).toEqual(vectors.map(([a, b, expected]) => [a, b, expected, expected]));
  });

  it(`on ${GENERATED_PAIRS} generated pairs (seed ${seed})`, async () => {
    const pairs = fc.sample(versionPair, { seed, numRuns: GENERATED_PAIRS });
    const dpkg = await dpkgOrder(pairs);
    // Same seed and arbitrary, so fc.assert replays exactly the sampled pairs.
    fc.assert(
      fc.property(versionPair, ([a, b]) => {
        const expected = dpkg.get(`${a} ${b}`) ?? dpkgCompareOne(a, b);
        return Math.sign(compareVersions(a, b)) === expected;
      }),
      { seed, numRuns: GENERATED_PAIRS },
    );
  });

  it(`on which of ${GENERATED_STRINGS} generated strings are versions, and why not (seed ${seed})`, async () => {
    const strings = [...new Set(fc.sample(versionLikeString, { seed, numRuns: GENERATED_STRINGS }))];
    const dpkg = await runBatched(SYNTAX_LOOP, strings);
    const disagreements = strings
      .map((text, i) => ({ text, dpkg: inOurWords(dpkg[i] ?? 'no answer'), ours: ourVerdict(text) }))
      .filter(({ text, dpkg, ours }) => ours !== dpkg && !isDocumentedDifference(text, dpkg, ours));
    expect(disagreements).toEqual([]);
  });
});

/**
 * Where we knowingly differ from dpkg:
 * - strtol() lets dpkg read `+1:` as epoch 1; we refuse a signed epoch.
 * - dpkg checks for "nothing after colon" before it drops trailing blanks, so
 *   it calls `1: ` an empty version number; we trim first. Both refuse it.
 */
function isDocumentedDifference(text: string, dpkgProblem: string, ourProblem: string): boolean {
  const signedEpoch = /^[ \t]*\+[0-9]+:/.test(text) && ourProblem === 'epoch is not a number';
  const blanksAfterColon =
    /:[ \t]+$/.test(text) && dpkgProblem === 'version number is empty' && ourProblem === 'nothing after colon in version number';
  return signedEpoch || blanksAfterColon;
}

describe('compareVersions is a total order', () => {
  const version = versionParts.map(render);

  it('is antisymmetric', () => {
    fc.assert(fc.property(version, version, (a, b) => Math.sign(compareVersions(a, b)) === -Math.sign(compareVersions(b, a))));
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        const ordered = compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0;
        return !ordered || compareVersions(a, c) <= 0;
      }),
    );
  });

  it('ignores an explicit zero epoch, a zero revision and leading zeros', () => {
    fc.assert(
      fc.property(versionParts, (parts) => {
        // Without an epoch and a revision, ':' and '-' are not allowed in upstream.
        const upstream = parts.upstream.filter((token) => token !== ':' && token !== '-');
        const plain = render({ upstream, epoch: null, revision: null });
        const padded = `0:${plain.replace(/(^|[^0-9])(?=[0-9])/g, '$10')}-0`;
        return compareVersions(plain, padded) === 0;
      }),
    );
  });
});

describe('isValidVersion', () => {
  // Its one-regex fast path must never accept what parseVersion refuses, nor the reverse.
  it('agrees with parseVersion on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(versionLikeString, versionParts.map(render)), (text) => isValidVersion(text) === (ourVerdict(text) === 'valid')),
      { numRuns: 5_000 },
    );
  });
});

describe('parseVersion rejects what dpkg rejects, naming the problem', () => {
  it.each([
    ['', 'is empty'],
    [' \t', 'is empty'],
    ['1.0 2', 'contains whitespace'],
    [':1.0', 'epoch is not a number'],
    ['x:1.0', 'epoch is not a number'],
    ['1x:1.0', 'epoch is not a number'],
    ['+1:1.0', 'epoch is not a number'],
    ['2147483648:1.0', 'epoch is too big'],
    ['1:', 'nothing after colon in version number'],
    ['1.0-', 'revision number is empty'],
    ['-1', 'version number is empty'],
    ['a1.0', 'version number does not start with digit'],
    ['1.0_1', 'invalid character in version number'],
    ['1.0\n', 'invalid character in version number'],
    ['1.0-a_b', 'invalid character in revision number'],
    ['1.0-1:2', 'epoch is not a number'],
  ])('%j: %s', (text, problem) => {
    expect(() => parseVersion(text)).toThrow(new InvalidVersionError(text, problem));
  });

  it('accepts blanks around the version, colons with an epoch and hyphens with a revision', () => {
    expect(parseVersion(' \t1:2:3-4-5 ')).toEqual({ epoch: 1, upstream: '2:3-4', revision: '5' });
    expect(parseVersion('2147483647:0')).toEqual({ epoch: 2147483647, upstream: '0', revision: '' });
  });
});
