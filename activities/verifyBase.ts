/**
 * Activity `verifyBase`: before anything is built on a base image, its
 * signature and SLSA provenance must verify with our key and name the exact
 * digest. An unsigned or tampered base is a non-retryable
 * BaseVerificationFailed: no retry makes a forged base trustworthy. The
 * customization build runs the same check again (verifyBaseImage) right
 * before it reads the base's layers.
 */
import * as fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { customizationBase } from '../domain/customization/load';
import { PredicateType } from '../domain/attest/predicateTypes';
import { sha256Digest } from '../domain/digest';
import { type ActivityContext, repositoryOf } from './context';
import { classified } from './lib/failures';
import { withProgress } from './lib/progress';
import { RegistryError } from './oci/registry';
import { verifyImage } from './sign/verify';
import { ErrorType, type VerifyBaseInput } from './types';

export function verifyBaseActivity(ctx: ActivityContext) {
  return async function verifyBaseActivityImpl(input: VerifyBaseInput): Promise<{ digest: string; builder: string }> {
    // Heartbeating, as its policy's 30 s heartbeat timeout expects: reading every signature and attestation of
    // a base from a slow registry can take longer than that while the worker is alive.
    return classified(() => withProgress(async (progress) => {
      // Only the base is read: the rest of a broken customization is its own workflow's failure to record.
      const { base } = customizationBase(ctx.config.customizationsDir, input.image.name);
      progress(`verifying ${repositoryOf(ctx.config, base.image)}@${input.baseDigest}`);
      return verifyBaseImage(ctx, repositoryOf(ctx.config, base.image), input.baseDigest);
    }));
  };
}

/**
 * Successful verifications by `registry/repository@digest` and key: that a
 * digest was signed, with provenance, by our key stays true (the content a
 * digest names cannot change), so twenty customizations built on one new
 * base in this worker verify it once, not twenty times over some forty
 * registry requests each. Failures are never remembered; entries expire, so
 * a rotated key or a deleted signature is seen within minutes.
 */
const VERIFIED_FOR_MS = 5 * 60_000;
const verified = new Map<string, { at: number; result: { digest: string; builder: string } }>();

/**
 * Verifies `repository@digest` or throws: transient registry trouble retries,
 * anything else is the non-retryable `failure` (BaseVerificationFailed unless
 * the caller verifies something else, e.g. a rollback target).
 */
export async function verifyBaseImage(
  ctx: ActivityContext,
  repository: string,
  digest: string,
  failure: string = ErrorType.baseVerificationFailed,
): Promise<{ digest: string; builder: string }> {
  const publicKeyPem = fs.readFileSync(ctx.config.publicKeyPath);
  const key = `${ctx.registry.host}/${repository}@${digest} ${sha256Digest(publicKeyPem)}`;
  const known = verified.get(key);
  if (known && Date.now() - known.at < VERIFIED_FOR_MS) return known.result;
  const result = await verifyOnce(ctx, repository, digest, publicKeyPem, failure);
  verified.set(key, { at: Date.now(), result });
  for (const [k, v] of verified) if (Date.now() - v.at >= VERIFIED_FOR_MS) verified.delete(k);
  return result;
}

async function verifyOnce(ctx: ActivityContext, repository: string, digest: string, publicKeyPem: Buffer, failure: string): Promise<{ digest: string; builder: string }> {
  try {
    const report = await verifyImage({
      registry: ctx.registry,
      repository,
      reference: digest,
      publicKeyPem,
      require: [PredicateType.slsaProvenance1],
    });
    if (report.digest !== digest) throw new Error(`verified ${report.digest}, expected ${digest}`);
    return { digest: report.digest, builder: report.provenance?.builderId ?? 'unknown' };
  } catch (err) {
    if (err instanceof RegistryError && err.transient) throw err;
    throw ApplicationFailure.nonRetryable(`${ctx.config.registry.host}/${repository}@${digest} failed verification: ${(err as Error).message}`, failure);
  }
}
