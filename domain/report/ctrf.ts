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
