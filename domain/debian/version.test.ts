import { compareVersions } from './version';

describe('compareVersions', () => {
  it.each([
    ['1.0~rc1', '1.0', -1],
    ['1:0.1', '2.0', 1],
    ['3.0.15-1~deb12u1', '3.0.15-1', -1],
    ['1.0', '1.0-0', 0],
    ['1.01', '1.1', 0],
    ['1.0~~', '1.0~', -1],
    ['1.0a', '1.0+', -1],
    ['1.0', '1.0.0', -1],
    ['1.2-3-4', '1.2-3', 1],
  ])('%s vs %s', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });
});
