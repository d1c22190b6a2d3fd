import { checkCascadeProgressSignal, SIGNAL_LIMITS } from './messages';

const report = (over: Record<string, unknown> = {}, progress: Record<string, unknown> = {}) => ({
  coordinator: 'cascade:base:runtime:0123456789ab',
  progress: { baseDigest: `sha256:${'a'.repeat(64)}`, total: 2, done: 1, failed: ['app: failed: tests'], running: [], deferred: [], ...progress },
  ...over,
});

test('a coordinator report is accepted as sent', () => {
  expect(checkCascadeProgressSignal(report({ finished: true }))).toEqual({ ok: true, value: report({ finished: true }) });
});

test('anyone may signal cascadeProgress: a report is held to its shape and bounds, the reason names the field', () => {
  const refused = (payload: unknown) => {
    const checked = checkCascadeProgressSignal(payload);
    return checked.ok ? 'accepted' : checked.reason;
  };
  expect(refused('nonsense')).toMatch(/^cascadeProgress: \(record\): /);
  expect(refused(report({ coordinator: 'x'.repeat(SIGNAL_LIMITS.workflowId + 1) }))).toMatch(/^cascadeProgress: coordinator: /);
  expect(refused(report({}, { baseDigest: 'sha256:nope' }))).toMatch(/^cascadeProgress: progress\.baseDigest: /);
  expect(refused(report({}, { total: -1 }))).toMatch(/^cascadeProgress: progress\.total: /);
  expect(refused(report({}, { failed: Array.from({ length: SIGNAL_LIMITS.cascadeDependents + 1 }, () => 'a') }))).toMatch(/^cascadeProgress: progress\.failed: /);
  expect(refused(report({}, { running: ['x'.repeat(SIGNAL_LIMITS.cascadeLine + 1)] }))).toMatch(/^cascadeProgress: progress\.running\.0: /);
});
