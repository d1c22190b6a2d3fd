import { compareUniqueTags, formatUniqueTag, parseUniqueTag, uniqueCycleAfter, uniqueTagOf, uniqueTagsOf } from './uniqueTag';

describe('unique tags', () => {
  it('are the moving tag, the publish day in UTC and the cycle', () => {
    expect(uniqueTagOf('trixie', '2026-12-07T23:59:59.900Z', 14)).toBe('trixie-20261207.14');
    expect(uniqueTagOf('bookworm-dev', '2026-01-02T00:00:00+02:00', 3)).toBe('bookworm-dev-20260101.3');
  });

  it('parse back, and moving tags are not unique tags', () => {
    expect(parseUniqueTag('trixie-dev-20261207.14')).toEqual({ movingTag: 'trixie-dev', date: '20261207', cycle: 14 });
    for (const tag of ['trixie', 'latest', 'trixie-dev', '1.2.3', 'trixie-20261307.1', 'trixie-2026120.1', 'x-20260230.2']) expect(parseUniqueTag(tag)).toBeUndefined();
  });

  it('sort newest first by day, then by cycle as a number', () => {
    const tags = ['t-20261207.9', 't-20261207.10', 't-20261206.11'].map((t) => parseUniqueTag(t)!);
    expect(tags.sort(compareUniqueTags).map((t) => `${t.date}.${t.cycle}`)).toEqual(['20261207.10', '20261207.9', '20261206.11']);
  });

  it('refuse what a registry would refuse, naming the field', () => {
    expect(() => uniqueTagOf('trixie', 'yesterday', 1)).toThrow(/publishedAt: "yesterday"/);
    expect(() => uniqueTagOf('trixie', '2026-12-07T00:00:00Z', 0)).toThrow(/cycle: 0/);
    expect(() => uniqueTagOf('x'.repeat(120), '2026-12-07T00:00:00Z', 1)).toThrow(/not a valid tag/);
  });
});

describe('numbering past the registry (a workflow created anew counts from 1 again)', () => {
  const tags = ['bookworm', 'bookworm-20261201.14', 'bookworm-20261207.2', 'bookworm-dev-20261207.40', 'sha256-ab.sig'];

  it('lists the moving tag\'s unique tags newest first, not those of another moving tag', () => {
    expect(uniqueTagsOf(tags, 'bookworm').map(formatUniqueTag)).toEqual(['bookworm-20261207.2', 'bookworm-20261201.14']);
  });

  it('tags the cycle when it is past every existing one, else the next number after the highest', () => {
    const existing = uniqueTagsOf(tags, 'bookworm');
    expect(uniqueCycleAfter(20, existing)).toBe(20);
    expect(uniqueCycleAfter(1, existing)).toBe(15);
    expect(uniqueCycleAfter(1, [])).toBe(1);
  });
});
