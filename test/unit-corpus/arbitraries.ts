/**
 * fast-check building blocks for the bad-input corpus: values that are
 * malformed BY CONSTRUCTION (each generator's comment says why every value it
 * makes is invalid), so a case the code accepts is a finding, never noise.
 *
 * Every corpus case is a valid document plus one or more targeted mutations;
 * each mutation names the field it broke, and the suites assert that the
 * rejection message names that field.
 */
import fc from 'fast-check';

/** At least 1,000 generated cases per input kind per run (issue 8). FC_RUNS raises it for a soak. */
export const RUNS = Math.max(1000, Number(process.env.FC_RUNS ?? 0) || 0);

/** fast-check settings shared by the corpus: the seed is printed on failure, so a red run is replayable with FC_SEED. */
export const fcParams = (numRuns = RUNS): fc.Parameters<unknown> => ({
  numRuns,
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
});

// ------------------------------------------------------------------ valid pieces

export const validSource = fc.stringMatching(/^[a-z0-9][a-z0-9+.-]{1,20}$/);

/** Debian versions dpkg accepts: optional epoch, upstream starting with a digit, optional revision. */
export const validVersion = fc
  .tuple(
    fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }),
    fc.stringMatching(/^[0-9][A-Za-z0-9.+~]{0,12}$/),
    fc.option(fc.stringMatching(/^[A-Za-z0-9.+~]{1,10}$/), { nil: undefined }),
  )
  .map(([epoch, upstream, revision]) => `${epoch === undefined ? '' : `${epoch}:`}${upstream}${revision === undefined ? '' : `-${revision}`}`);

export const validAdvisoryId = fc.oneof(
  fc.tuple(fc.integer({ min: 1999, max: 2030 }), fc.integer({ min: 1000, max: 9_999_999 })).map(([y, n]) => `CVE-${y}-${String(n).padStart(4, '0')}`),
  fc.tuple(fc.integer({ min: 100, max: 9999 }), fc.integer({ min: 1, max: 9 })).map(([n, r]) => `DSA-${n}-${r}`),
  fc.tuple(fc.integer({ min: 100, max: 9999 }), fc.integer({ min: 1, max: 9 })).map(([n, r]) => `DLA-${n}-${r}`),
);

// ------------------------------------------------------------------ junk

/** Characters that make a string look right to a person and wrong to a parser. */
const TRICKY = [
  '\u0000', '\n', '\r', '\t', ' ', '\u00a0', '\u200b', '\u202e', '\ufeff', '\u2028', '/', '\\', '..', '"', "'", '`', '$', '{', '}', '%', '\u00e9',
  '\u0430' /* Cyrillic a */, '\uff11' /* fullwidth 1 */, '\u0663' /* Arabic-Indic 3 */, '\ud83d\ude00', '\ud800' /* lone surrogate */,
];

export const trickyString = fc
  .array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 12 })
  .map((parts) => parts.join(''));

/** Large but bounded: the suites must stay fast, and 64 KiB is already far past any real field. */
export const hugeString = fc
  .tuple(fc.constantFrom(4_096, 65_536), fc.constantFrom('A', '9', '\u00e9', '../', '%00', 'CVE-'))
  .map(([size, unit]) => unit.repeat(Math.ceil(size / unit.length)));

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '__defineGetter__'] as const;
export const protoKey = fc.constantFrom(...PROTO_KEYS);

/**
 * Objects carrying prototype-pollution keys as OWN properties, as JSON.parse
 * and YAML produce them (an object literal `{ __proto__: x }` would set the
 * prototype instead, which no wire format can do).
 */
export function withOwnKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  return target;
}

/** JSON-representable junk, nested up to a depth where naive recursion would hurt. */
export const junkValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    trickyString,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(trickyString, protoKey), tie('value'), { maxKeys: 3 }).map((d) => JSON.parse(JSON.stringify(d)) as unknown),
  ),
})).value;

/** An array nested `depth` levels deep: `[[[...]]]` (JSON and YAML parsers accept it; validators must not recurse into trouble). */
export const deepJunk = fc.integer({ min: 100, max: 2000 }).map((depth) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { nested: v };
  return v;
});

/** Anything that is not a string, nested at most two levels (what a YAML writer can render). */
export const shallowNotString: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);

/** Anything that is not a string (JSON-representable), deep nesting included. */
export const notString: fc.Arbitrary<unknown> = fc.oneof(shallowNotString, deepJunk);

/** Anything that is not a plain object (and not undefined, which means "absent"). */
export const notObject: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.array(junkValue, { maxLength: 3 }),
);

/** Anything that is not an array. */
export const notArray: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);

// ------------------------------------------------------------------ malformed by construction

/**
 * Strings dpkg refuses as a version. Each branch breaks one rule of
 * parseversion(): whitespace inside, empty epoch or upstream, non-numeric or
 * out-of-range epoch, a trailing hyphen (empty revision), a first character
 * that is not a digit, or a character outside [A-Za-z0-9.+~:-] / [A-Za-z0-9.+~].
 */
export const badVersion: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('1.0 beta', ':1', '1.0-', '1.0--', '', ' ', 'v1.0', '~1', '.1', '1:', 'a:1.0', '+1:2.0', '-1:1.0', '2147483648:1.0', '1.0_1', '1.0-a:b', '1.0-a_b', '１.０', '1.0\n', '\t1.0', '1.0/2', '1.0\u00e9'),
  validVersion.map((v) => `${v} beta`),
  validVersion.map((v) => `:${v}`),
  validVersion.map((v) => `${v}-`),
  validVersion.map((v) => ` ${v}`),
  validVersion.map((v) => `${v}\n`),
  fc.tuple(validVersion, fc.constantFrom('_', '/', '@', '!', '#', '\u0000', '\u00e9', '\u200b', ' ', ',', ';', '*')).map(([v, c]) => `${v.replace(/-.*/, '')}${c}1`),
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,3}$/), validVersion).map(([e, v]) => `${e}:${v.replace(/^\d+:/, '')}`),
  fc.tuple(fc.constantFrom('a', 'v', '.', '+', '~', '-', 'A'), validVersion).map(([c, v]) => `${c}${v.replace(/^\d+:/, '')}`),
);

/**
 * Strings that are none of the advisory id families. Case, digit counts and
 * the prefix are each broken on purpose; JS `\d` and `$` (no `m` flag) do not
 * match Arabic-Indic digits or a trailing newline, which is the point.
 */
export const badAdvisoryId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', 'cve-2024-5535', 'CVE-2024-123', 'CVE-24-5535', 'CVE-2024-', 'CVE_2024_5535', 'USN-6000-1', 'DSA-5764', 'DSA-12-1', 'GHSA-JFH8-C2JP-5V3Q', 'TEMP-123', 'CVE-٢٠٢٤-5535', 'CVE-2024-5535\n', 'CVE-2024-5535 ', '../../etc/passwd', '__proto__', 'constructor', 'CVE-2024-5535;rm -rf /', 'CVE\u20132024\u20135535'),
  validAdvisoryId.map((id) => id.toLowerCase()),
  validAdvisoryId.map((id) => `${id}x`),
  validAdvisoryId.map((id) => `x${id}`),
  validAdvisoryId.map((id) => id.replace(/-/g, '_')),
  trickyString.filter((s) => !/^(CVE|DSA|DLA|GHSA|TEMP)-/.test(s)),
);

/** Not Debian source package names: uppercase, one character, a bad first character, or a character outside [a-z0-9+.-]. */
export const badSource: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', 'a', 'OpenSSL', '-foo', '.foo', '+foo', 'lib_foo', 'foo bar', '\u043epenssl' /* Cyrillic o */, '../openssl', 'openssl/../../x', '__proto__', 'open\u200bssl', 'openssl\n'),
  validSource.map((s) => s.toUpperCase()).filter((s) => /[A-Z]/.test(s)),
  fc.tuple(validSource, fc.constantFrom('_', ' ', '/', ':', '@', '\u00e9', '\u0000', '*', '\\')).map(([s, c]) => `${s}${c}x`),
);

/** Strings with whitespace inside: never a valid alias, tag or name. */
export const withInnerWhitespace = fc.tuple(fc.stringMatching(/^[A-Za-z0-9-]{1,6}$/), fc.constantFrom(' ', '\t', '\n', '\u2028'), fc.stringMatching(/^[A-Za-z0-9-]{1,6}$/)).map(([a, w, b]) => `${a}${w}${b}`);

/** Keys no schema here defines (typos, pollution keys, unicode and quotes). */
export const unknownKey = fc.oneof(
  fc.constantFrom('fixed_version', 'fixedversion', 'Source', 'ID', 'severity ', 'packages2', 'extra', '\u00e9', 'a"b', '', ' '),
  protoKey,
  fc.stringMatching(/^[a-z]{1,8}_[a-z]{1,8}$/),
);

// ------------------------------------------------------------------ mutations

/** One change to a document, and the field whose name the rejection must carry. */
export interface Mutation<D> {
  /** The field path as the rejection should print it, e.g. `releases.bookworm.status`. */
  field: string;
  /**
   * The exact text the rejection must contain when it is not `field` (an unknown key is quoted: `"extra"`);
   * a list when either of two names is right (a feed field or the record field it becomes).
   */
  needle?: string | readonly string[];
  /** A short label of what was done, for failure messages. */
  what: string;
  apply(doc: D): D;
}

export const structuredCloneJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Sets `path` (dot and [i] segments already split) to `value`, or deletes it when `value` is DELETE. */
export const DELETE = Symbol('delete');
export function setPath(doc: unknown, path: readonly (string | number)[], value: unknown): void {
  let target = doc as Record<string | number, unknown>;
  path.slice(0, -1).forEach((key, i) => {
    // A mutation may reach into an optional part the valid document left out (`aliases[0]` of an advisory without aliases).
    if (typeof target[key] !== 'object' || target[key] === null) target[key] = typeof path[i + 1] === 'number' ? [] : {};
    target = target[key] as Record<string | number, unknown>;
  });
  const last = path[path.length - 1] as string | number;
  if (value === DELETE) delete target[last];
  else if (typeof last === 'string' && (PROTO_KEYS as readonly string[]).includes(last)) withOwnKey(target, last, value);
  else target[last] = value;
}

/** True when a rejection's text names the mutated field (or carries its needle). */
export function namesField(text: string, mutation: Pick<Mutation<unknown>, 'field' | 'needle'>): boolean {
  const needles = mutation.needle === undefined ? [mutation.field] : typeof mutation.needle === 'string' ? [mutation.needle] : mutation.needle;
  return needles.some((n) => text.includes(n));
}

/** A mutation that sets `path` to `value` on a JSON copy (DELETE removes it). */
export function put<D>(field: string, what: string, value: unknown, path: readonly (string | number)[], needle?: string | readonly string[]): Mutation<D> {
  return {
    field,
    what,
    ...(needle === undefined ? {} : { needle }),
    apply: (doc) => {
      const copy = structuredCloneJson(doc);
      setPath(copy, path, value);
      return copy;
    },
  };
}

/** A JSON document under test. */
export type Doc = Record<string, unknown>;

/** The usual mutation: `value` at `field`, a path such as `aliases[0]`. */
export const at = (field: string, what: string, value: unknown, needle?: string | readonly string[]) => put<Doc>(field, what, value, splitPath(field), needle);

/** `a.b[0].c` -> ['a', 'b', 0, 'c']. */
export function splitPath(field: string): (string | number)[] {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] as string)));
}

/** Mutations may not pile onto one field (the last would hide the first). */
export const distinctFields = <D>(ms: Mutation<D>[]) => new Set(ms.map((m) => m.field.replace(/[[.].*$/, ''))).size === ms.length;
