/**
 * Bad-input corpus: advisory feeds, OSV documents (domain/advisory/osv.ts)
 * and the Debian Security Tracker JSON (domain/advisory/tracker.ts).
 *
 * A feed is read by the monitor on a Schedule, so one malformed entry must
 * cost exactly that entry: it is reported as a problem naming the field, no
 * record comes out of it, every well-formed neighbour still comes through,
 * and nothing throws. A feed names fields in its own terms
 * (`affected[0].package.name`); where the normalizer reports the advisory
 * record's name for the same thing (`source`), either is accepted (noted in
 * the report of issue 8).
 */
import fc from 'fast-check';
import type { NormalizedFeed } from '../../domain/advisory/record';
import { normalizeOsvDocument } from '../../domain/advisory/osv';
import { normalizeTracker } from '../../domain/advisory/tracker';
import {
  badAdvisoryId, badSource, badVersion, DELETE, distinctFields, fcParams, junkValue, type Mutation, namesField, notArray, notObject, notString, RUNS, trickyString, validAdvisoryId, validSource, validVersion, withOwnKey,
  at, type Doc,
} from './arbitraries';


/** Runs a normalizer as the monitor does: a throw is a defect. */
function normalize(run: () => NormalizedFeed): NormalizedFeed {
  try {
    return run();
  } catch (err) {
    throw new Error(`threw instead of reporting a problem: ${(err as Error).stack}`);
  }
}

const problemText = (feed: NormalizedFeed) => feed.problems.map((p) => `${p.where}: ${p.problem}`).join('\n');

function assertRefused(feed: NormalizedFeed, mutations: Mutation<Doc>[], all: boolean): void {
  if (feed.records.length) throw new Error(`produced records: ${JSON.stringify(feed.records).slice(0, 500)}`);
  const text = problemText(feed);
  const named = mutations.filter((m) => namesField(text, m));
  if (all ? named.length !== mutations.length : named.length === 0) {
    throw new Error(`problems ${JSON.stringify(text.slice(0, 600))} do not name ${mutations.map((m) => `${m.field} (${m.what})`).join(', ')}`);
  }
}

// ------------------------------------------------------------------ OSV

const osvRecord = fc.record({
  id: fc.oneof(validAdvisoryId, validAdvisoryId.filter((id) => id.startsWith('CVE-')).map((id) => `DEBIAN-${id}`)),
  modified: fc.constant('2024-06-27T11:15:24Z'),
  aliases: fc.array(validAdvisoryId, { maxLength: 2 }),
  affected: fc.tuple(validSource, validVersion, fc.constantFrom('low', 'medium', 'high', 'unimportant')).map(([name, fixed, urgency]) => [
    {
      package: { ecosystem: 'Debian:12', name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      ecosystem_specific: { urgency },
    },
  ]),
});

const E = 'affected[0]';
const R = `${E}.ranges[0]`;

/** OSV versions are trimmed before they are checked, so padded versions are no cases. */
const badFeedVersion = badVersion.filter((v) => v.trim() === v && v !== '');

const osvMutation: fc.Arbitrary<Mutation<Doc>> = fc.oneof(
  fc.oneof(notString, fc.constant('')).map((v) => at('id', 'id not a string', v)),
  badAdvisoryId.filter((id) => id.trim() === id && id !== '' && !/^DEBIAN-/.test(id)).map((v) => at('id', 'not an advisory id', v)),
  notArray.map((v) => at('aliases', 'aliases not a list', v)),
  notString.map((v) => at('aliases[0]', 'alias not a string', v)),
  notArray.map((v) => at('upstream', 'upstream not a list', v)),
  notArray.map((v) => at('severity', 'severity not a list', v)),
  notString.map((v) => at('severity[0].type', 'severity type not a string', v)),
  notObject.map((v) => at('database_specific', 'database_specific not an object', v)),
  notString.map((v) => at('published', 'published not a string', v)),
  notString.map((v) => at('withdrawn', 'withdrawn not a string', v)),
  notArray.map((v) => at('affected', 'affected not a list', v)),
  notObject.map((v) => at(E, 'entry not an object', v)),
  notObject.map((v) => at(`${E}.package`, 'package not an object', v)),
  notString.map((v) => at(`${E}.package.ecosystem`, 'ecosystem not a string', v)),
  notString.map((v) => at(`${E}.package.name`, 'name not a string', v)),
  badSource.filter((s) => s.trim() === s).map((v) => at(`${E}.package.name`, 'not a source package name', v, [`${E}.package.name`, 'source: '])),
  notArray.map((v) => at(`${E}.ranges`, 'ranges not a list', v)),
  fc.constantFrom([], [{ type: 'GIT', events: [{ introduced: '0' }, { fixed: 'abc' }] }], [{ type: 'SEMVER', events: [{ fixed: '1.0.0' }] }]).map((v) => at(`${E}.ranges`, 'no ECOSYSTEM range', v)),
  notObject.map((v) => at(R, 'range not an object', v)),
  notString.map((v) => at(`${R}.type`, 'range type not a string', v)),
  fc.oneof(notArray, fc.constant([])).map((v) => at(`${R}.events`, 'events not a non-empty list', v)),
  fc.constantFrom([{ limit: '1.0' }], [{}], [{ limit: '1.0' }, {}]).map((v) => at(`${R}.events`, 'no usable event', v)),
  badFeedVersion.map((v) => at(`${R}.events[1].fixed`, 'bad fixed version', v)),
  notString.map((v) => at(`${R}.events[1].fixed`, 'fixed not a string', v)),
  badFeedVersion.filter((v) => v !== '0').map((v) => at(`${R}.events[0].introduced`, 'bad introduced version', v)),
  badFeedVersion.map((v) => at(`${R}.events[2].last_affected`, 'bad last_affected version', v)),
  notObject.map((v) => at(`${E}.ecosystem_specific`, 'ecosystem_specific not an object', v)),
  notString.map((v) => at(`${E}.ecosystem_specific.urgency`, 'urgency not a string', v)),
);

describe('OSV corpus', () => {
  it(`refuses ${RUNS} OSV records with one broken field, naming it`, () => {
    fc.assert(
      fc.property(osvRecord, osvMutation, (record, mutation) => {
        const doc = mutation.apply(record as Doc);
        assertRefused(normalize(() => normalizeOsvDocument(doc, 'osv.json')), [mutation], true);
      }),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} OSV records with several broken fields, naming at least one`, () => {
    fc.assert(
      fc.property(osvRecord, fc.array(osvMutation, { minLength: 2, maxLength: 3 }).filter(distinctFields), (record, mutations) => {
        const doc = mutations.reduce((d, m) => m.apply(d), record as Doc);
        assertRefused(normalize(() => normalizeOsvDocument(doc, 'osv.json')), mutations, false);
      }),
      fcParams(),
    );
  });

  it(`keeps every well-formed neighbour of a broken record in ${RUNS} dumps, and locates the broken one`, () => {
    fc.assert(
      fc.property(fc.uniqueArray(osvRecord, { minLength: 1, maxLength: 5, selector: (r) => r.id }), osvMutation, fc.nat(), (records, mutation, pick) => {
        const bad = pick % records.length;
        const dump = records.map((r, i) => (i === bad ? mutation.apply(r as Doc) : r));
        const feed = normalize(() => normalizeOsvDocument(dump, 'all.json'));
        expect(feed.records.map((r) => r.id).sort()).toEqual(
          records.filter((_, i) => i !== bad).map((r) => r.id.replace(/^DEBIAN-/, '')).sort(),
        );
        expect(feed.problems).toHaveLength(1);
        expect(namesField(problemText(feed), mutation)).toBe(true);
        // Located by id when it is readable, else by position in the dump.
        expect(feed.problems[0]?.where).toMatch(/^all\.json#/);
      }),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} documents that are not OSV records at all`, () => {
    fc.assert(
      fc.property(fc.oneof(notObject.filter((v) => !Array.isArray(v)), fc.array(notObject.filter((v) => !Array.isArray(v)), { minLength: 1, maxLength: 3 })), (doc) => {
        const feed = normalize(() => normalizeOsvDocument(doc, 'osv.json'));
        expect(feed.records).toEqual([]);
        expect(feed.problems.length).toBe(Array.isArray(doc) ? doc.length : 1);
        for (const p of feed.problems) expect(p.problem).toMatch(/^\(record\): /);
      }),
      fcParams(),
    );
  });

  it('ignores own __proto__ keys: they neither withdraw, add nor change a record', () => {
    fc.assert(
      fc.property(osvRecord, fc.constantFrom<Doc>({ withdrawn: '2024-01-01' }, { affected: [] }, { id: 'CVE-2099-0001' }), (record, payload) => {
        const clean = normalize(() => normalizeOsvDocument(record, 'osv.json'));
        const polluted = withOwnKey(JSON.parse(JSON.stringify(record)) as Doc, '__proto__', payload);
        withOwnKey((polluted.affected as Doc[])[0] as Doc, '__proto__', { package: { ecosystem: 'Debian:11', name: 'x' } });
        expect(normalize(() => normalizeOsvDocument(polluted, 'osv.json'))).toEqual(clean);
        expect(clean.records).toHaveLength(1);
      }),
      fcParams(200),
    );
  });
});

// ------------------------------------------------------------------ Debian Security Tracker

interface TrackerCase {
  source: string;
  id: string;
  issue: Doc;
}

const trackerIssue: fc.Arbitrary<Doc> = fc.oneof(
  validVersion.map((v) => ({ status: 'resolved', fixed_version: v, urgency: 'medium' })),
  fc.constant({ status: 'resolved', fixed_version: '0', urgency: 'unimportant' }),
  fc.constantFrom({ status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'postponed' }, { status: 'open', urgency: 'not yet assigned' }, { status: 'undetermined' }),
).map((bookworm) => ({ description: 'an issue', releases: { bookworm: { ...bookworm, repositories: { bookworm: '1.0-1' } }, bullseye: { status: 'open' } } }));

const trackerCase: fc.Arbitrary<TrackerCase> = fc.record({ source: validSource, id: validAdvisoryId, issue: trackerIssue });

/** What breaks one issue of the tracker document: its keys, its shape, or a release field. */
type TrackerMutation = Mutation<TrackerCase>;

const onIssue = (field: string, what: string, value: unknown, needle?: string | readonly string[]): TrackerMutation => {
  const m = at(field, what, value, needle);
  return { field, what, ...(needle === undefined ? {} : { needle }), apply: (c) => ({ ...c, issue: m.apply(c.issue) }) };
};
const B = 'releases.bookworm';
const resolvedWith = (value: unknown, what: string, needle?: readonly string[]): TrackerMutation => {
  const m = onIssue(`${B}.fixed_version`, what, value, needle);
  return { ...m, apply: (c) => m.apply({ ...c, issue: { ...c.issue, releases: { bookworm: { status: 'resolved' } } } }) };
};

const trackerMutation: fc.Arbitrary<TrackerMutation> = fc.oneof(
  badSource.filter((s) => s !== '__proto__').map((source): TrackerMutation => ({ field: 'source', what: 'bad source key', needle: 'source: ', apply: (c) => ({ ...c, source }) })),
  badAdvisoryId.filter((id) => id !== '__proto__').map((id): TrackerMutation => ({ field: 'id', what: 'bad id key', needle: 'id: ', apply: (c) => ({ ...c, id }) })),
  notObject.map((issue): TrackerMutation => ({ field: '(record)', what: 'issue not an object', apply: (c) => ({ ...c, issue: issue as Doc }) })),
  notObject.map((v) => onIssue('releases', 'releases not an object', v)),
  notObject.map((v) => onIssue(B, 'bookworm not an object', v)),
  fc.oneof(trickyString, notString, fc.constantFrom('fixed', 'Resolved', 'not-affected', 'unfixed', '')).filter((v) => !['resolved', 'open', 'undetermined'].includes(v as string)).map((v) => onIssue(`${B}.status`, 'bad status', v)),
  fc.constantFrom(DELETE, '', '   ').map((v) => resolvedWith(v, 'resolved without a fixed version')),
  badFeedVersion.filter((v) => v !== '0').map((v) => resolvedWith(v, 'resolved with a bad version', [`${B}.fixed_version`, 'fixedVersion: '])),
  notString.map((v) => resolvedWith(v, 'fixed_version not a string')),
  notString.map((v) => onIssue(`${B}.urgency`, 'urgency not a string', v)),
  notString.map((v) => onIssue(`${B}.nodsa`, 'nodsa not a string', v)),
  notString.map((v) => onIssue(`${B}.nodsa_reason`, 'nodsa_reason not a string', v)),
  fc.oneof(notObject.filter((v) => v !== undefined), fc.constant({ bookworm: 1 })).map((v) => onIssue(`${B}.repositories`, 'repositories malformed', v)),
);

function trackerDocument(cases: TrackerCase[]): Doc {
  const doc: Doc = {};
  for (const c of cases) {
    const issues = (Object.hasOwn(doc, c.source) ? doc[c.source] : withOwnKey(doc, c.source, {})[c.source]) as Doc;
    withOwnKey(issues, c.id, c.issue);
  }
  return doc;
}

describe('Debian Security Tracker corpus', () => {
  it(`refuses ${RUNS} broken issues, naming the field and locating the issue, and keeps their neighbours`, () => {
    const unique = (cs: TrackerCase[]) => new Set(cs.map((c) => `${c.source}/${c.id}`)).size === cs.length;
    fc.assert(
      fc.property(fc.array(trackerCase, { minLength: 1, maxLength: 4 }).filter(unique), trackerMutation, fc.nat(), (cases, mutation, pick) => {
        const bad = pick % cases.length;
        const broken = mutation.apply(cases[bad] as TrackerCase);
        const neighbours = cases.filter((c, i) => i !== bad && !(c.source === broken.source && c.id === broken.id));
        const feed = normalize(() => normalizeTracker(trackerDocument([...neighbours, broken]), 'tracker.json'));
        const ours = feed.problems.filter((p) => p.where.startsWith(`tracker.json#${broken.source}/${broken.id}`));
        expect(ours).toHaveLength(1);
        expect(namesField(`${ours[0]?.where}: ${ours[0]?.problem}`, mutation)).toBe(true);
        expect(feed.records.some((r) => r.id === broken.id && r.source === broken.source)).toBe(false);
        // Every neighbour still becomes a record (bookworm is set in each, so none is skipped).
        expect(feed.records.length).toBe(neighbours.length);
      }),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} sources whose issues are not an object, naming the source`, () => {
    fc.assert(
      fc.property(validSource, notObject, (source, issues) => {
        const feed = normalize(() => normalizeTracker(withOwnKey({}, source, issues), 'tracker.json'));
        expect(feed.records).toEqual([]);
        expect(feed.problems).toEqual([{ where: `tracker.json#${source}`, problem: expect.stringContaining(source) }]);
      }),
      fcParams(),
    );
  });

  it(`refuses ${RUNS} documents that are not objects`, () => {
    fc.assert(
      fc.property(fc.oneof(notObject, junkValue.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))), (doc) => {
        const feed = normalize(() => normalizeTracker(doc, 'tracker.json'));
        expect(feed.records).toEqual([]);
        expect(feed.problems).toEqual([{ where: 'tracker.json', problem: expect.stringMatching(/^\(record\): /) }]);
      }),
      fcParams(),
    );
  });

  it('treats __proto__ as the (invalid) name it is, as a source or an id, and pollutes nothing', () => {
    fc.assert(
      fc.property(trackerCase, fc.boolean(), (c, asSource) => {
        const doc = trackerDocument([asSource ? { ...c, source: '__proto__' } : { ...c, id: '__proto__' }]);
        const feed = normalize(() => normalizeTracker(doc, 'tracker.json'));
        expect(feed.records).toEqual([]);
        expect(feed.problems).toHaveLength(1);
        expect(feed.problems[0]?.problem).toMatch(asSource ? /^source: / : /^id: /);
        expect(({} as Doc).releases).toBeUndefined();
      }),
      fcParams(200),
    );
  });
});
