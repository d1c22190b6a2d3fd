/**
 * Bad-input corpus: advisories, in both shapes the workflow's `advisory`
 * signal and `tempered advisory submit` accept — the full record
 * (domain/advisory/record.ts advisorySchema) and the CLI shape
 * `{id, source, fixedVersion?, severity?, aliases?, reason?}`.
 *
 * Each case is a valid advisory with one to three targeted mutations. The
 * parser must refuse it with a problem that names every broken field (one
 * mutation) or at least one of them (several: the CLI shape is checked
 * before its contents), must never throw, and must hand back no record.
 */
import fc from 'fast-check';
import { type Advisory, advisoryFromCli, parseAdvisory, type Parsed } from '../../domain/advisory/record';
import { cliMutation, recordMutation, statusMismatch, validCli, validRecord } from './advisoryCases';
import { at, distinctFields, type Doc, fcParams, type Mutation, namesField, notObject, RUNS } from './arbitraries';

/** Runs a parser the way the signal handler does: any throw is a defect, as is any record. */
function refusal(parse: () => Parsed<Advisory>): string {
  let parsed: Parsed<Advisory>;
  try {
    parsed = parse();
  } catch (err) {
    throw new Error(`threw instead of refusing: ${(err as Error).stack}`);
  }
  if (parsed.ok) throw new Error(`accepted: ${JSON.stringify(parsed.value).slice(0, 500)}`);
  expect(parsed.problem.where).toBe('corpus');
  expect(parsed.problem.problem.length).toBeGreaterThan(0);
  return parsed.problem.problem;
}

function assertNames(problem: string, mutations: Mutation<Doc>[], all: boolean): void {
  const named = mutations.filter((m) => namesField(problem, m));
  const ok = all ? named.length === mutations.length : named.length > 0;
  if (!ok) throw new Error(`"${problem.slice(0, 400)}" does not name ${mutations.map((m) => `${m.field} (${m.what})`).join(', ')}`);
}

describe('advisory record corpus', () => {
  it(`refuses ${RUNS} records with one broken field, naming it`, () => {
    fc.assert(
      fc.property(validRecord, recordMutation, (record, mutation) => {
        const doc = mutation.apply(record as unknown as Doc);
        assertNames(refusal(() => parseAdvisory(doc, 'corpus')), [mutation], true);
      }),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} records with two or three broken fields, naming every one`, () => {
    fc.assert(
      fc.property(validRecord, fc.array(recordMutation, { minLength: 2, maxLength: 3 }).filter(distinctFields), (record, mutations) => {
        const doc = mutations.reduce((d, m) => m.apply(d), record as unknown as Doc);
        assertNames(refusal(() => parseAdvisory(doc, 'corpus')), mutations, true);
      }),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} records whose status and fixed version contradict, naming fixedVersion`, () => {
    fc.assert(
      fc.property(validRecord, (record) => {
        const mutation = statusMismatch(record as unknown as Doc);
        assertNames(refusal(() => parseAdvisory(mutation.apply(record as unknown as Doc), 'corpus')), [mutation], true);
      }),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} values that are not records at all, naming the record`, () => {
    fc.assert(
      fc.property(notObject, (value) => {
        expect(refusal(() => parseAdvisory(value, 'corpus'))).toMatch(/^\(record\): /);
      }),
      fcParams(),
    );
  });

  it('keeps an own __proto__ key from reaching the record or any prototype', () => {
    fc.assert(
      fc.property(validRecord, (record) => {
        const text = JSON.stringify(record).replace(/^\{/, '{"__proto__":{"status":"fixed","fixedVersion":"99:9","polluted":true},');
        const problem = refusal(() => parseAdvisory(JSON.parse(text), 'corpus'));
        expect(problem).toContain('"__proto__"');
        expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      }),
      fcParams(200),
    );
  });
});

describe('CLI advisory corpus', () => {
  it(`refuses ${RUNS} CLI advisories with one broken field, naming it`, () => {
    fc.assert(
      fc.property(validCli, cliMutation, (cli, mutation) => {
        const doc = mutation.apply(cli as Doc);
        // `status` and `origin` together make the payload a full record; only one of them keeps the CLI shape.
        fc.pre(!('status' in doc && 'origin' in doc));
        assertNames(refusal(() => advisoryFromCli(doc, 'corpus')), [mutation], true);
      }),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} CLI advisories with several broken fields, naming at least one`, () => {
    fc.assert(
      fc.property(validCli, fc.array(cliMutation, { minLength: 2, maxLength: 3 }).filter(distinctFields), (cli, mutations) => {
        const doc = mutations.reduce((d, m) => m.apply(d), cli as Doc);
        fc.pre(!('status' in doc && 'origin' in doc));
        assertNames(refusal(() => advisoryFromCli(doc, 'corpus')), mutations, false);
      }),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} CLI payloads that are not objects`, () => {
    fc.assert(
      fc.property(notObject, (value) => {
        expect(refusal(() => advisoryFromCli(value, 'corpus'))).toMatch(/^\(record\): /);
      }),
      fcParams(),
    );
  });
});

/**
 * Well-formed in every character but far too large for where the record goes:
 * the id becomes a PendingAdvisories search attribute value (Temporal refuses
 * a value over 2 KiB and TERMINATES the workflow whose task sent it), and the
 * record is carried by every continue-as-new (2 MiB payload limit). These
 * must be refused at the schema, naming the field. See the report of issue 8.
 */
describe('advisory size bounds', () => {
  const oversized = fc.oneof(
    fc.integer({ min: 2_100, max: 5_000 }).map((n) => at('id', `${n}-digit CVE number`, `CVE-2024-${'7'.repeat(n)}`)),
    fc.integer({ min: 70_000, max: 200_000 }).map((n) => at('reason', `${n}-character reason`, 'r'.repeat(n))),
    fc.integer({ min: 2_000, max: 5_000 }).map((n) => at('aliases', `${n} aliases`, Array.from({ length: n }, (_, i) => `DSA-${1000 + i}-1`))),
    fc.integer({ min: 1_000, max: 5_000 }).map((n) => at('source', `${n}-character source`, 'a'.repeat(n))),
    fc.integer({ min: 1_000, max: 5_000 }).map((n) => at('fixedVersion', `${n}-character version`, `1.${'0'.repeat(n)}`)),
  );

  it('refuses oversized but otherwise well-formed CLI advisories, naming the field', () => {
    fc.assert(
      fc.property(validCli, oversized, (cli, mutation) => {
        assertNames(refusal(() => advisoryFromCli(mutation.apply(cli as Doc), 'corpus')), [mutation], true);
      }),
      fcParams(50),
    );
  });

  it('quotes at most a bounded excerpt of a refused value, so a rejection cannot carry megabytes', () => {
    const problem = refusal(() => advisoryFromCli({ id: 'X'.repeat(1_000_000), source: 'openssl' }, 'corpus'));
    expect(problem).toMatch(/^id: /);
    expect(problem.length).toBeLessThan(1_000);
  });
});
