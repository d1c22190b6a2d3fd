/**
 * The image-test predicate: the CTRF report of the image's tests, attested
 * unchanged under PredicateType.ctrf (see predicateTypes.ts for why CTRF and
 * not in-toto's test-result/v0.1). Refuses a report that is not CTRF or whose
 * summary disagrees with its tests, since a verifier trusts the summary.
 */
import type { CtrfReport } from '../report/ctrf';
import { AttestationInputError } from './errors';

export interface TestSummary {
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
}

export function ctrfPredicate(report: CtrfReport): CtrfReport {
  if (report.reportFormat !== 'CTRF') throw new AttestationInputError('INVALID_CTRF', `test report format is ${JSON.stringify(report.reportFormat)}, expected "CTRF"`);
  const { summary, tests } = report.results;
  const count = (status: string) => tests.filter((t) => t.status === status).length;
  if (summary.tests !== tests.length || summary.passed !== count('passed') || summary.failed !== count('failed') || summary.skipped !== count('skipped')) {
    throw new AttestationInputError('INVALID_CTRF', 'test report summary does not match its tests');
  }
  return report;
}

/** The summary of any CTRF predicate a verifier read, or undefined when it has none. */
export function ctrfSummary(predicate: unknown): TestSummary | undefined {
  const s = (predicate as { results?: { summary?: Record<string, unknown> } } | null)?.results?.summary;
  if (!s) return undefined;
  const n = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
  const tests = n(s.tests);
  const passed = n(s.passed);
  const failed = n(s.failed);
  const skipped = n(s.skipped);
  if (tests === undefined || passed === undefined || failed === undefined || skipped === undefined) return undefined;
  return { tests, passed, failed, skipped };
}
