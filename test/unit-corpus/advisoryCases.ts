/**
 * Malformed advisories, shared by the pure corpus (advisory.test.ts) and the
 * workflow-level flood (test/workflow/badInputSignals.test.ts): valid
 * records and CLI payloads, and the mutations that break them, each naming
 * the field its rejection must carry.
 */
import fc from 'fast-check';
import { type Advisory, ADVISORY_ORIGINS, ADVISORY_STATUSES, SEVERITIES } from '../../domain/advisory/record';
import {
  badAdvisoryId, badSource, badVersion, DELETE, distinctFields, hugeString, junkValue, type Mutation, notArray, notObject, notString, put, trickyString, unknownKey, validAdvisoryId, validSource, validVersion, withInnerWhitespace,
  at, type Doc,
} from './arbitraries';


export const validRecord: fc.Arbitrary<Advisory> = fc
  .record({
    id: validAdvisoryId,
    aliases: fc.uniqueArray(validAdvisoryId, { maxLength: 3 }),
    source: validSource,
    fixed: fc.option(validVersion, { nil: null }),
    openStatus: fc.constantFrom('not-affected', 'no-fix', 'undetermined' as const),
    severity: fc.constantFrom(...SEVERITIES),
    reason: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: undefined }),
    origin: fc.constantFrom(...ADVISORY_ORIGINS),
  })
  .map(({ fixed, openStatus, reason, ...rest }) => ({
    ...rest,
    fixedVersion: fixed,
    status: fixed === null ? openStatus : ('fixed' as const),
    ...(reason === undefined ? {} : { reason }),
  }));

export const validCli = fc.record(
  {
    id: validAdvisoryId,
    source: validSource,
    fixedVersion: validVersion,
    severity: fc.constantFrom(...SEVERITIES),
    aliases: fc.array(validAdvisoryId, { maxLength: 3 }),
    reason: fc.string({ maxLength: 20 }),
  },
  { requiredKeys: ['id', 'source'] },
);


const required = (fields: readonly string[]) => fc.constantFrom(...fields).map((f) => at(f, `missing ${f}`, DELETE));
/** zod names an unknown key quoted, as-is: `Unrecognized key: "extra"`. */
const extraKey = unknownKey.chain((key) => junkValue.map((value) => put<Doc>(key, `unknown key ${JSON.stringify(key)}`, value, [key], `"${key}"`)));

/** Mutations of the full record: every field, wrong types, bad formats, missing, extra. */
export const recordMutation: fc.Arbitrary<Mutation<Doc>> = fc.oneof(
  fc.oneof(badAdvisoryId, notString, hugeString).map((v) => at('id', 'bad id', v)),
  notArray.map((v) => at('aliases', 'aliases not a list', v)),
  fc.oneof(withInnerWhitespace, fc.constant(''), notString).map((v) => at('aliases[0]', 'bad alias', v)),
  fc.oneof(badSource, notString).map((v) => at('source', 'bad source', v)),
  fc.oneof(badVersion, notString.filter((v) => v !== null)).map((v) => at('fixedVersion', 'bad fixed version', v)),
  fc.oneof(trickyString, notString, fc.constantFrom('Fixed', 'open', 'resolved', 'fixed ', '')).filter((v) => !(ADVISORY_STATUSES as readonly unknown[]).includes(v)).map((v) => at('status', 'bad status', v)),
  fc.oneof(trickyString, notString, fc.constantFrom('HIGH', 'important', 'low**', '__proto__')).filter((v) => !(SEVERITIES as readonly unknown[]).includes(v)).map((v) => at('severity', 'bad severity', v)),
  fc.oneof(trickyString, notString, fc.constantFrom('nvd', 'OSV', '')).filter((v) => !(ADVISORY_ORIGINS as readonly unknown[]).includes(v)).map((v) => at('origin', 'bad origin', v)),
  fc.oneof(fc.constant(''), notString.filter((v) => v !== undefined)).map((v) => at('reason', 'bad reason', v)),
  fc.oneof(fc.constantFrom('yesterday', '2024-13-01', '2024-02-30T00:00:00', '27/06/2024', '2024-06-27 11:15', ''), notString).map((v) => at('published', 'bad published', v)),
  required(['id', 'aliases', 'source', 'fixedVersion', 'status', 'severity', 'origin']),
  extraKey,
);

/** Status and fixed version that contradict each other: the schema's cross-field rule. */
export const statusMismatch = (doc: Doc): Mutation<Doc> =>
  doc.status === 'fixed'
    ? at('fixedVersion', 'fixed without a version', null)
    : at('fixedVersion', `${String(doc.status)} with a version`, '1.0-1');

/** Mutations of the CLI shape. */
export const cliMutation: fc.Arbitrary<Mutation<Doc>> = fc.oneof(
  // The CLI trims what a person typed: `" CVE-2024-5535\n"` is a valid id there, so it is no case here.
  fc.oneof(badAdvisoryId, notString).filter((v) => typeof v !== 'string' || v.trim() === v).map((v) => at('id', 'bad id', v)),
  fc.oneof(badSource.filter((s) => s.trim() === s), notString).map((v) => at('source', 'bad source', v)),
  // A blank fixed version means "no fix yet" on the command line, so blanks and padding are no cases here.
  fc.oneof(badVersion.filter((v) => v.trim() === v && v !== ''), notString).map((v) => at('fixedVersion', 'bad fixed version', v)),
  fc.oneof(trickyString, notString, fc.constantFrom('HIGH', 'important', '')).filter((v) => !(SEVERITIES as readonly unknown[]).includes(v)).map((v) => at('severity', 'bad severity', v)),
  notArray.map((v) => at('aliases', 'aliases not a list', v)),
  // The CLI drops the id itself from the aliases and sorts them before checking each, so the index it names is the
  // cleaned list's, not necessarily the one typed (reported with issue 8): the needle is the list, not the index.
  fc.oneof(withInnerWhitespace, notString).map((v) => at('aliases[0]', 'bad alias', v, 'aliases[')),
  notString.map((v) => at('reason', 'reason not a string', v)),
  required(['id', 'source']),
  // `status` without `origin` keeps the CLI shape, whose strictness must name the stray key.
  fc.constantFrom('status', 'origin', 'fixed', 'version', 'package', 'cve').chain((key) => junkValue.map((value) => at(key, `unknown key ${key}`, value, `"${key}"`))),
  extraKey,
);

/** A record without both `status` and `origin` is what the CLI sends, which may well be valid: no case. */
const notCliShaped = (ms: Mutation<Doc>[]) => !['status', 'origin'].every((f) => ms.some((m) => m.what === `missing ${f}`));

/** One malformed advisory payload as the `advisory` signal receives it, with the mutations that broke it. */
export interface MalformedAdvisory {
  payload: unknown;
  mutations: Mutation<Doc>[];
}

/**
 * A mix of every kind of malformed advisory: full records and CLI payloads
 * with one to three broken fields, contradicting status and version, and
 * values that are no object at all. `maxJson` bounds a payload's size (the
 * workflow flood keeps its history readable; size attacks have their own tests).
 */
export function malformedAdvisory(maxJson = Number.POSITIVE_INFINITY): fc.Arbitrary<MalformedAdvisory> {
  const apply = (doc: Doc, mutations: Mutation<Doc>[]) => ({ payload: mutations.reduce((d, m) => m.apply(d), doc), mutations });
  return fc
    .oneof(
      fc.tuple(validRecord, fc.array(recordMutation, { minLength: 1, maxLength: 3 }).filter(distinctFields).filter(notCliShaped)).map(([r, ms]) => apply(r as unknown as Doc, ms)),
      validRecord.map((r) => apply(r as unknown as Doc, [statusMismatch(r as unknown as Doc)])),
      fc.tuple(validCli, fc.array(cliMutation, { minLength: 1, maxLength: 3 }).filter(distinctFields)).map(([c, ms]) => apply(c as Doc, ms)),
      notObject.map((payload) => ({ payload, mutations: [{ field: '(record)', what: 'not an object', apply: (d: Doc) => d }] })),
    )
    .filter(({ payload }) => maxJson === Number.POSITIVE_INFINITY || JSON.stringify(payload ?? null).length <= maxJson);
}
