import { groupByOrigin, type LayeredPackage } from './layering';

const p = (name: string, source: string, installedSize: number, replaces: string[] = []): LayeredPackage => ({ name, source, installedSize, replaces });

const BASE = [
  p('libc6', 'glibc', 12000),
  p('libc-bin', 'glibc', 3000),
  p('libssl3', 'openssl', 6000),
  p('tzdata', 'tzdata', 4000),
  p('ca-certificates', 'ca-certificates', 400),
  p('netbase', 'netbase', 40),
  p('base-files', 'base-files', 300),
  p('media-types', 'media-types', 90),
];

describe('groupByOrigin', () => {
  it('puts the packages of one source in one layer, largest first', () => {
    const groups = groupByOrigin(BASE, 8);
    expect(groups.map((g) => g.packages)).toEqual([['libc-bin', 'libc6'], ['libssl3'], ['tzdata'], ['ca-certificates'], ['base-files'], ['media-types'], ['netbase']]);
    expect(groups[0]?.size).toBe(15000);
  });
  it('merges the smallest groups into one past the budget', () => {
    const groups = groupByOrigin(BASE, 4);
    expect(groups.map((g) => g.packages)).toEqual([['libc-bin', 'libc6'], ['libssl3'], ['tzdata'], ['base-files', 'ca-certificates', 'media-types', 'netbase']]);
    expect(groupByOrigin(BASE, 1).map((g) => g.packages.length)).toEqual([8]);
  });
  it('keeps a package and the one it Replaces together', () => {
    const groups = groupByOrigin([p('a', 'src-a', 10), p('b', 'src-b', 5, ['a']), p('c', 'src-c', 7)], 8);
    expect(groups.map((g) => g.packages)).toEqual([['a', 'b'], ['c']]);
  });
  it('is a function of the package set alone (input order does not matter)', () => {
    expect(groupByOrigin([...BASE].reverse(), 5)).toEqual(groupByOrigin(BASE, 5));
  });
  it('refuses a budget that is not a positive integer', () => {
    expect(() => groupByOrigin(BASE, 0)).toThrow('positive integer');
  });
});
