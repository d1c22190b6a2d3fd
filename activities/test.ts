/**
 * Activity `testImage`: the variant policy and the definition's tests, in
 * containers with network none. A failing test is a non-retryable
 * ImageTestFailed (the workflow records it and the last good image stays
 * published); a Docker engine that is away is retried.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityContext } from '../lib/context';
import { runImageTests } from '../lib/imageTests/run';
import { testTargetOf } from '../lib/imageTests/target';
import { withProgress } from './progress';
import { pullByDigest } from '../lib/oci/push';
import { ErrorType, type TestInput, type TestResult } from './types';

export function testActivity(ctx: ActivityContext) {
  return async function testImageActivity(input: TestInput): Promise<TestResult> {
    return withProgress(async (progress) => {
      const record = await ctx.records.read(input.digest);
      await pullByDigest(ctx.registry, record.repository, ctx.blobs, input.digest);
      const report = await runImageTests(await testTargetOf(ctx, record), ctx.blobs, progress);
      const reportDigest = await ctx.documents.putContent('test-report', JSON.stringify(report));
      const failed = report.results.tests.filter((t) => t.status === 'failed');
      if (failed.length > 0) {
        const names = failed.map((t) => `${t.name}: ${t.message ?? 'failed'}`);
        throw ApplicationFailure.nonRetryable(
          `${failed.length} of ${report.results.tests.length} image tests failed: ${names.slice(0, 5).join('; ')}`,
          ErrorType.imageTestFailed,
          { reportDigest, failures: names },
        );
      }
      return { reportDigest, passed: report.results.summary.passed, failed: 0, failures: [] };
    });
  };
}
