/**
 * Activity `verifyBase`: before anything is built on a base image, its
 * signature and SLSA provenance must verify with our key and name the exact
 * digest (an unsigned or tampered base is a non-retryable
 * BaseVerificationFailed: no retry makes a forged base trustworthy), the
 * provenance must name the customization's base image and variant, and the
 * digest must not be older than the base it is on (BaseRefused). The
 * customization build runs the same check again right before it reads the
 * base's layers.
 */
import { customizationBase } from '../domain/customization/load';
import { type ActivityContext, repositoryOf } from '../lib/context';
import { verifyBaseCandidate } from '../lib/signing/baseVerification';
import { classified } from './failures';
import { withProgress } from './progress';
import type { VerifyBaseInput } from './types';

export function verifyBaseActivity(ctx: ActivityContext) {
  return async function verifyBaseActivityImpl(input: VerifyBaseInput): Promise<{ digest: string; builder: string; cycle?: number }> {
    // Heartbeating, as its policy's 30 s heartbeat timeout expects: reading every signature and attestation of
    // a base from a slow registry can take longer than that while the worker is alive.
    return classified(() => withProgress(async (progress) => {
      // Only the base is read: the rest of a broken customization is its own workflow's failure to record.
      const { base } = customizationBase(ctx.config.customizationsDir, input.image.name);
      progress(`verifying ${repositoryOf(ctx.config, base.image)}@${input.baseDigest}`);
      const verified = await verifyBaseCandidate(ctx, {
        repository: repositoryOf(ctx.config, base.image), digest: input.baseDigest, expected: base, current: input.currentBaseDigest,
      });
      return { digest: verified.digest, builder: verified.builder, ...(verified.cycle !== undefined ? { cycle: verified.cycle } : {}) };
    }));
  };
}

