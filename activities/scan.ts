/**
 * Activity `scanImage`: the built image's SBOM (from its own dpkg metadata)
 * matched against the cycle's advisories. This, not the lock, decides which
 * advisories the new image fixes.
 */
import { releaseOfPackages } from '../domain/debian/releases';
import { scanVerdicts } from '../domain/impact';
import { type ActivityContext, referenceOf } from '../lib/context';
import { withProgress } from './progress';
import { pullByDigest } from '../lib/oci/push';
import { imageSbom } from '../lib/sbom/imageSbom';
import type { ScanInput, ScanResult } from './types';

export function scanActivity(ctx: ActivityContext) {
  return async function scanImageActivity(input: ScanInput): Promise<ScanResult> {
    return withProgress(async (progress) => {
      const record = await ctx.records.read(input.digest);
      await pullByDigest(ctx.registry, record.repository, ctx.blobs, input.digest);
      progress('generating the SBOM from the image metadata');
      const { sbom, packages } = await imageSbom(ctx.blobs, input.digest, {
        name: record.repository,
        variant: record.image.kind === 'catalog' ? record.image.variant : 'custom',
        reference: referenceOf(ctx.config, record.repository, record.tag),
      });
      const sbomDigest = await ctx.documents.putContent('sbom', sbom);
      return { sbomDigest, packageCount: packages.length, verdicts: scanVerdicts(input.advisories, packages, releaseOfPackages(packages)) };
    });
  };
}
