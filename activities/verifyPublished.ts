/**
 * Activity `verifyPublished`: before a rollback re-points a tag, the earlier
 * digest must still verify (signature and SLSA provenance, with our key) in
 * the image's own repository. A digest that does not is refused for good.
 */
import type { ActivityContext } from '../lib/context';
import { classified } from './failures';
import { ErrorType } from './types';
import { verifyBaseImage } from '../lib/signing/baseVerification';

export function verifyPublishedActivity(ctx: ActivityContext) {
  return async function verifyPublished(input: { digest: string }): Promise<{ digest: string; builder: string }> {
    return classified(async () => {
      const { repository } = await ctx.records.read(input.digest);
      return verifyBaseImage(ctx, repository, input.digest, ErrorType.rollbackRefused);
    });
  };
}
