/**
 * Image test results in CTRF (Common Test Report Format, ctrf.io), the
 * report that is attested next to the image.
 */
export type TestStatus = 'passed' | 'failed' | 'skipped';

export interface CtrfTest {
  name: string;
  status: TestStatus;
  duration: number;
  suite: string;
  message?: string;
}

export interface CtrfReport {
  reportFormat: 'CTRF';
  specVersion: '0.0.0';
  results: {
    tool: { name: 'tempered'; version: string };
    summary: { tests: number; passed: number; failed: number; pending: 0; skipped: number; other: 0; start: number; stop: number };
    tests: CtrfTest[];
    environment: { appName: string; buildName: string; extra: { digest: string } };
  };
}

export function ctrfReport(tests: CtrfTest[], meta: { image: string; tag: string; digest: string; start: number; stop: number }): CtrfReport {
  const count = (s: TestStatus) => tests.filter((t) => t.status === s).length;
  return {
    reportFormat: 'CTRF',
    specVersion: '0.0.0',
    results: {
      tool: { name: 'tempered', version: '1' },
      summary: { tests: tests.length, passed: count('passed'), failed: count('failed'), pending: 0, skipped: count('skipped'), other: 0, start: meta.start, stop: meta.stop },
      tests,
      environment: { appName: meta.image, buildName: meta.tag, extra: { digest: meta.digest } },
    },
  };
}

/**
 * The test results of an image index: every platform's tests, each named with
 * its platform (`[linux/arm64/v8] node runs`), in the order given; the run
 * spans the earliest start to the latest stop.
 */
export function platformsReport(reports: readonly { platform: string; report: CtrfReport }[], meta: { image: string; tag: string; digest: string }): CtrfReport {
  if (reports.length === 0) throw new Error('an index report needs at least one platform report');
  const tests = reports.flatMap(({ platform, report }) => report.results.tests.map((t) => ({ ...t, name: `[${platform}] ${t.name}` })));
  const start = Math.min(...reports.map((r) => r.report.results.summary.start));
  const stop = Math.max(...reports.map((r) => r.report.results.summary.stop));
  return ctrfReport(tests, { ...meta, start, stop });
}
