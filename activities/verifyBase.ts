/**
 * Activity `verifyBase`: before anything is built on a base image, its
 * signature and SLSA provenance must verify with our key and name the exact
 * digest. An unsigned or tampered base is a non-retryable
 * BaseVerificationFailed: no retry makes a forged base trustworthy.
 */
import * as fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { findCustomization } from '../domain/customization/load';
import { PredicateType } from '../domain/attest/predicateTypes';
import { type ActivityContext, repositoryOf } from './context';
import { RegistryError } from './oci/registry';
import { verifyImage } from './sign/verify';
import { ErrorType, type VerifyBaseInput } from './types';

export function verifyBaseActivity(ctx: ActivityContext) {
  return async function verifyBaseActivityImpl(input: VerifyBaseInput): Promise<{ digest: string; builder: string }> {
    const { customization } = findCustomization(ctx.config.customizationsDir, input.image.name);
    const repository = repositoryOf(ctx.config, customization.base.image);
    try {
      const report = await verifyImage({
        registry: ctx.registry,
        repository,
        reference: input.baseDigest,
        publicKeyPem: fs.readFileSync(ctx.config.publicKeyPath),
        require: [PredicateType.slsaProvenance1],
      });
      if (report.digest !== input.baseDigest) throw new Error(`verified ${report.digest}, expected ${input.baseDigest}`);
      return { digest: report.digest, builder: report.provenance?.builderId ?? 'unknown' };
    } catch (err) {
      if (err instanceof RegistryError && err.transient) throw err;
      throw ApplicationFailure.nonRetryable(
        `base ${ctx.config.registry.host}/${repository}@${input.baseDigest} failed verification: ${(err as Error).message}`,
        ErrorType.baseVerificationFailed,
      );
    }
  };
}
