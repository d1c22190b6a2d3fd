import { cycleDuration, describeReason, describeReasons, digestChange } from './cycleFormat';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

test('every reason reads as a short phrase', () => {
  expect(describeReasons([{ kind: 'advisories', ids: ['CVE-1', 'CVE-2', 'CVE-3', 'CVE-4', 'CVE-5'] }, { kind: 'retry', of: 3 }, { kind: 'retry', of: 3 }])).toBe(
    'advisories CVE-1, CVE-2, CVE-3, CVE-4 +1; retried by on-call x2',
  );
  expect(describeReason({ kind: 'initial' })).toBe('first build');
  expect(describeReason({ kind: 'rebuild', by: 'alice', note: 'new CA' })).toBe('rebuild by alice: new CA');
  expect(describeReason({ kind: 'base-changed', baseDigest: A })).toBe('base changed to aaaaaaaaaaaa');
  expect(describeReason({ kind: 'rollback', digest: B, by: 'bob', reason: 'bad openssl' })).toBe('rollback to bbbbbbbbbbbb by bob: bad openssl');
});

test('a reason kind this CLI does not know still prints its fields', () => {
  expect(describeReason({ kind: 'quarantine', by: 'x' })).toBe('quarantine {"by":"x"}');
});

test('durations and digest changes', () => {
  expect(cycleDuration({ startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:42Z' })).toBe('42s');
  expect(cycleDuration({ startedAt: '2026-01-01T00:00:00Z' }, Date.parse('2026-01-01T00:10:00Z'))).toBe('10m so far');
  expect(digestChange({ digest: B, previousDigest: A })).toBe('aaaaaaaaaaaa -> bbbbbbbbbbbb');
  expect(digestChange({ digest: A, previousDigest: A })).toBe('aaaaaaaaaaaa');
  expect(digestChange({})).toBe('');
});
