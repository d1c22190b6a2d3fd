import { ctrfReport } from '../report/ctrf';
import { countComponents, cyclonedxPredicate } from './sbom';
import { ctrfPredicate, ctrfSummary } from './testResults';

test('the CycloneDX predicate is the BOM itself, and something else is refused', () => {
  const bom = { bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ name: 'a', components: [{ name: 'a1' }] }, { name: 'b' }] };
  expect(cyclonedxPredicate(bom)).toBe(bom);
  expect(countComponents(bom)).toBe(3);
  expect(() => cyclonedxPredicate({ spdxVersion: 'SPDX-2.3' })).toThrow(expect.objectContaining({ code: 'INVALID_SBOM' }));
  expect(() => cyclonedxPredicate({ bomFormat: 'CycloneDX', specVersion: '2' })).toThrow(/specVersion/);
  expect(() => cyclonedxPredicate([bom])).toThrow(/not a JSON object/);
});

test('the CTRF predicate is the report, refused when its summary lies', () => {
  const report = ctrfReport(
    [
      { name: 'a', status: 'passed', duration: 1, suite: 's' },
      { name: 'b', status: 'failed', duration: 1, suite: 's', message: 'boom' },
    ],
    { image: 'base', tag: 't', digest: 'sha256:' + '0'.repeat(64), start: 1, stop: 2 },
  );
  expect(ctrfPredicate(report)).toBe(report);
  expect(ctrfSummary(report)).toEqual({ tests: 2, passed: 1, failed: 1, skipped: 0 });
  const lying = { ...report, results: { ...report.results, summary: { ...report.results.summary, failed: 0, passed: 2 } } };
  expect(() => ctrfPredicate(lying)).toThrow(expect.objectContaining({ code: 'INVALID_CTRF' }));
});
