import { imageSubject, makeStatement, parseStatement, serializeStatement, statementDigest, STATEMENT_TYPE_V1 } from './statement';

const digest = 'sha256:' + 'ab'.repeat(32);

test('a statement has exactly the four in-toto keys', () => {
  const s = makeStatement(imageSubject('reg/repo', digest), 'https://slsa.dev/provenance/v1', { a: 1 });
  expect(Object.keys(JSON.parse(serializeStatement(s).toString())).sort()).toEqual(['_type', 'predicate', 'predicateType', 'subject']);
  expect(s).toEqual({ _type: STATEMENT_TYPE_V1, subject: [{ name: 'reg/repo', digest: { sha256: 'ab'.repeat(32) } }], predicateType: 'https://slsa.dev/provenance/v1', predicate: { a: 1 } });
});

test('serialization is canonical: key order in memory does not change the bytes or the digest', () => {
  const subject = imageSubject('reg/repo', digest);
  const a = makeStatement(subject, 'https://example.com/p', { x: 1, y: { b: 2, a: 1 } });
  const b = makeStatement(subject, 'https://example.com/p', { y: { a: 1, b: 2 }, x: 1 });
  expect(serializeStatement(a).equals(serializeStatement(b))).toBe(true);
  expect(statementDigest(a)).toBe(statementDigest(b));
});

test('parses a statement and lists its sha256 subjects', () => {
  const s = makeStatement(imageSubject('reg/repo', digest), 'https://example.com/p', {});
  expect(parseStatement(serializeStatement(s))).toEqual({ predicateType: 'https://example.com/p', predicate: {}, subjectDigests: [digest], subjectNames: ['reg/repo'] });
});

test.each([
  ['an extra top-level key', { _type: STATEMENT_TYPE_V1, subject: [{ digest: { sha256: 'ab'.repeat(32) } }], predicateType: 'https://x/y', predicate: {}, extra: 1 }],
  ['an old statement type', { _type: 'https://in-toto.io/Statement/v0.1', subject: [{ digest: { sha256: 'ab'.repeat(32) } }], predicateType: 'https://x/y', predicate: {} }],
  ['no subject', { _type: STATEMENT_TYPE_V1, subject: [], predicateType: 'https://x/y', predicate: {} }],
  ['a non-object predicate', { _type: STATEMENT_TYPE_V1, subject: [{ digest: { sha256: 'ab'.repeat(32) } }], predicateType: 'https://x/y', predicate: 'text' }],
])('rejects %s', (_what, value) => {
  expect(() => parseStatement(Buffer.from(JSON.stringify(value)))).toThrow(expect.objectContaining({ code: 'INVALID_STATEMENT' }));
});

test('refuses subjects and predicate types that are not what they claim', () => {
  expect(() => imageSubject('reg/repo', 'sha256:1234')).toThrow(/not sha256:<64 hex digits>/);
  expect(() => makeStatement(imageSubject('reg/repo', digest), 'provenance', {})).toThrow(/not a URI/);
});
