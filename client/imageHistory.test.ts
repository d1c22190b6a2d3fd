import type { PatchState } from '../domain/patch/state';
import { joinCycles, runOfCycle, type RunInfo } from './imageHistory';

const runs: RunInfo[] = [
  { runId: 'r1', status: 'CONTINUED_AS_NEW', startTime: '2026-01-01T00:00:00.000Z', closeTime: '2026-01-01T00:05:00.000Z' },
  { runId: 'r2', status: 'CONTINUED_AS_NEW', startTime: '2026-01-01T00:05:00.000Z', closeTime: '2026-01-01T01:00:00.000Z' },
  { runId: 'r3', status: 'RUNNING', startTime: '2026-01-01T01:00:00.000Z' },
];

test('a cycle belongs to the last run started at or before it', () => {
  expect(runOfCycle(runs, { startedAt: '2026-01-01T00:00:00.010Z' })).toBe('r1');
  expect(runOfCycle(runs, { startedAt: '2026-01-01T00:05:00.000Z' })).toBe('r2');
  expect(runOfCycle(runs, { startedAt: '2026-01-01T02:00:00.000Z' })).toBe('r3');
  // Older than every listed run: its run is past the namespace's retention.
  expect(runOfCycle(runs, { startedAt: '2025-12-31T00:00:00.000Z' })).toBeUndefined();
});

test('finished cycles and the current one, with their runs, without the in-flight advisory list', () => {
  const state = {
    cycles: [{ number: 1, reasons: [{ kind: 'initial' }], startedAt: '2026-01-01T00:00:01.000Z', finishedAt: '2026-01-01T00:01:00.000Z', outcome: 'published' }],
    current: { number: 2, reasons: [{ kind: 'advisories', ids: ['CVE-1'] }], startedAt: '2026-01-01T01:00:02.000Z', advisories: [{ id: 'CVE-1' }] },
  } as unknown as PatchState;
  const cycles = joinCycles(state, runs);
  expect(cycles.map((c) => [c.number, c.runId, c.current])).toEqual([[1, 'r1', false], [2, 'r3', true]]);
  expect('advisories' in (cycles[1] as object)).toBe(false);
  expect('advisories' in (state.current as object)).toBe(true);
});
