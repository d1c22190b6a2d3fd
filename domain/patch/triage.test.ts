import { type Advisory, advisoryKey } from '../advisory/record';
import { fixedByLock, platformVerdicts, scanDispositions, triage } from './triage';

const advisory = (id: string, source: string, fixedVersion: string | null, over: Partial<Advisory> = {}): Advisory => ({
  id, aliases: [], source, fixedVersion, status: fixedVersion ? 'fixed' : 'no-fix', severity: 'high', origin: 'cli', ...over,
});

test('resolve sorts advisories: fixable, not in the image, no fix yet, fix not in the archive yet', () => {
  const fixable = advisory('CVE-1', 'openssl', '3.0.16-1');
  const { fixable: out, dispositions } = triage(
    [fixable, advisory('CVE-2', 'curl', '8.0'), advisory('CVE-3', 'glibc', null, { reason: 'postponed' }), advisory('CVE-4', 'zlib', '1:1.3'), advisory('CVE-5', 'glibc', null, { status: 'undetermined' })],
    { openssl: '3.0.17-1', glibc: '2.36-9', zlib: '1:1.2.13' },
    'base:runtime',
  );
  expect(out).toEqual([fixable]);
  expect(dispositions).toEqual([
    { advisory: expect.objectContaining({ id: 'CVE-2' }), verdict: { status: 'not_affected', justification: 'component_not_present', detail: 'curl is not in base:runtime' } },
    { advisory: expect.objectContaining({ id: 'CVE-3' }), waitFor: 'no fix yet (postponed)', installedVersion: '2.36-9' },
    { advisory: expect.objectContaining({ id: 'CVE-4' }), waitFor: 'fix 1:1.3 not in the archive yet (newest 1:1.2.13)', installedVersion: '1:1.2.13' },
    { advisory: expect.objectContaining({ id: 'CVE-5' }), waitFor: 'undetermined upstream', installedVersion: '2.36-9' },
  ]);
});

test('an image that was not rebuilt fixes what its lock already holds, in the cycle that published it', () => {
  expect(fixedByLock([advisory('CVE-1', 'openssl', '3.0.16-1')], { openssl: '3.0.17-1' }, 4)).toEqual([
    { advisory: expect.objectContaining({ id: 'CVE-1' }), verdict: { status: 'fixed', version: '3.0.17-1', inCycle: 4 } },
  ]);
});

test('the built image\'s SBOM decides: fixed, not present after all, or still the old version', () => {
  const [a, b, c] = [advisory('CVE-1', 'openssl', '3.0.16-1'), advisory('CVE-2', 'zlib', '1:1.3'), advisory('CVE-3', 'glibc', '2.36-10')];
  const out = scanDispositions([a, b, c], [
    { key: advisoryKey(a), present: true, fixed: true, installedSourceVersion: '3.0.16-1' },
    { key: advisoryKey(b), present: false, fixed: false },
    { key: advisoryKey(c), present: true, fixed: false, installedSourceVersion: '2.36-9' },
  ], 7);
  expect(out).toEqual([
    { advisory: a, verdict: { status: 'fixed', version: '3.0.16-1', inCycle: 7 } },
    { advisory: b, verdict: { status: 'not_affected', justification: 'component_not_present', detail: 'zlib is not in the image' } },
    { advisory: c, waitFor: 'built image still has glibc 2.36-9', installedVersion: '2.36-9' },
  ]);
});

test('an image of several platforms: fixed only where every platform that has the source is fixed', () => {
  const amd64 = [
    { key: 'a', present: true, fixed: true, installedSourceVersion: '3.0.16-1' },
    { key: 'b', present: true, fixed: true, installedSourceVersion: '2.36-10' },
    { key: 'c', present: false, fixed: false },
  ];
  const arm64 = [
    { key: 'a', present: true, fixed: true, installedSourceVersion: '3.0.16-1' },
    { key: 'b', present: true, fixed: false, installedSourceVersion: '2.36-9' },
    { key: 'c', present: true, fixed: true, installedSourceVersion: '1.0-2' },
  ];
  expect(platformVerdicts([amd64, arm64])).toEqual([
    { key: 'a', present: true, fixed: true, installedSourceVersion: '3.0.16-1' },
    { key: 'b', present: true, fixed: false, installedSourceVersion: '2.36-9' },
    { key: 'c', present: true, fixed: true, installedSourceVersion: '1.0-2' },
  ]);
  expect(platformVerdicts([amd64])).toEqual(amd64);
});
