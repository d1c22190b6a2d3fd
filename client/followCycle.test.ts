import type { PatchState } from '../domain/patch/state';
import { cycleEnd, progressText } from './followCycle';

const failure = { stage: 'testing' as const, activity: 'testImage', type: 'ImageTestFailed', message: '1 of 7 failed', at: '2026-01-01T00:01:00.000Z' };
const base = { phase: 'idle', cycles: [], pending: [], waiting: [] } as unknown as PatchState;

test('a cycle ends when it is in the finished list', () => {
  const state = { ...base, cycles: [{ number: 4, reasons: [], startedAt: 'x', outcome: 'published' }] } as PatchState;
  expect(cycleEnd(state, 4)).toMatchObject({ kind: 'finished', cycle: { outcome: 'published' } });
  expect(cycleEnd(state, 5)).toBeUndefined();
});

test('a failure of the followed cycle ends it, unless it is the failure being retried', () => {
  const state = { ...base, phase: 'failed', failure, current: { number: 4, reasons: [], startedAt: 'x', advisories: [] } } as PatchState;
  expect(cycleEnd(state, 4)).toMatchObject({ kind: 'failed', failure });
  expect(cycleEnd(state, 4, failure.at)).toBeUndefined();
  expect(cycleEnd({ ...state, failure: { ...failure, at: '2026-01-01T00:09:00.000Z' } }, 4, failure.at)).toMatchObject({ kind: 'failed' });
  expect(cycleEnd(state, 5)).toBeUndefined();
});

test('progress names the phase, the activity, its step and its retries', () => {
  const state = { ...base, phase: 'publishing', current: { number: 4, reasons: [], startedAt: 'x', advisories: [] } } as PatchState;
  expect(progressText(4, { workflowId: 'w', runId: 'r', status: 'RUNNING', state, activity: { type: 'publishImage', attempt: 3, queued: false, lastFailure: 'registry unreachable' } })).toBe(
    'cycle 4: publishing - publishImage (attempt 3, last failure: registry unreachable)',
  );
  const backingOff = { type: 'publishImage', attempt: 4, queued: false, lastFailure: 'registry unreachable', retryAt: '2026-01-01T00:00:14.000Z' };
  expect(progressText(4, { workflowId: 'w', runId: 'r', status: 'RUNNING', state, activity: backingOff })).toBe(
    'cycle 4: publishing - publishImage backing off (attempt 4 at 00:00:14Z, last failure: registry unreachable)',
  );
  expect(progressText(5, { workflowId: 'w', runId: 'r', status: 'RUNNING', state })).toBe('cycle 5: queued (phase publishing, cycle 4 running)');
});
