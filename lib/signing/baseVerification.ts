/**
 * Verification of a signed image this system published, by digest, with our
 * key: its signature and SLSA provenance. Used before anything is built on a
 * base and before a rollback moves a tag back.
 */
import * as fs from 'node:fs';
import { PredicateType } from '../../domain/attest/predicateTypes';
import { baseCandidateProblem } from '../../domain/customization/baseCandidate';
import { sha256Digest } from '../../domain/digest';
import { ErrorType } from '../../domain/patch/errors';
import type { ActivityContext } from '../context';
import { RegistryError } from '../oci/registry';
import { verifyImage } from './verify';
import { TemperedError } from '../../domain/errors';

/** A digest that did not verify: no retry makes it trustworthy. `failureType` names the ErrorType the activity reports. */
export class ImageVerificationRefused extends TemperedError<'IMAGE_VERIFICATION_REFUSED'> {
  constructor(
    message: string,
    readonly failureType: string,
  ) {
    super('IMAGE_VERIFICATION_REFUSED', message);
  }
}

/** What a verified image's signed provenance says it is. */
export interface VerifiedImage {
  digest: string;
  builder: string;
  image?: string;
  release?: string;
  variant?: string;
  cycle?: number;
  finishedOn?: string;
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
const verified = new Map<string, { at: number; result: VerifiedImage }>();

/**
 * Verifies `repository@digest` or throws: transient registry trouble retries,
 * anything else is ImageVerificationRefused with `failure` (BaseVerificationFailed unless
 * the caller verifies something else, e.g. a rollback target).
 */
export async function verifyBaseImage(
  ctx: ActivityContext,
  repository: string,
  digest: string,
  failure: string = ErrorType.baseVerificationFailed,
): Promise<VerifiedImage> {
  const publicKeyPem = fs.readFileSync(ctx.config.publicKeyPath);
  const key = `${ctx.registry.host}/${repository}@${digest} ${sha256Digest(publicKeyPem)}`;
  const known = verified.get(key);
  if (known && Date.now() - known.at < VERIFIED_FOR_MS) return known.result;
  const result = await verifyOnce(ctx, repository, digest, publicKeyPem, failure);
  verified.set(key, { at: Date.now(), result });
  for (const [k, v] of verified) if (Date.now() - v.at >= VERIFIED_FOR_MS) verified.delete(k);
  return result;
}

/**
 * A digest a customization may be built on: signed with provenance by our
 * key (verifyBaseImage), naming in that provenance exactly the image and
 * variant the customization sits on (the repository also holds the dev
 * variant and every customization of the base, all signed), and never
 * older than the base it is on now (by the base workflow's cycle, or its
 * finish time). Anything else is refused (BaseRefused): a signed digest is
 * not the right digest.
 */
export async function verifyBaseCandidate(
  ctx: ActivityContext,
  request: { repository: string; digest: string; expected: { image: string; release: string; variant: string }; current?: string },
): Promise<VerifiedImage> {
  const candidate = await verifyBaseImage(ctx, request.repository, request.digest);
  const current = request.current && request.current !== request.digest ? { ...(await verifyBaseImage(ctx, request.repository, request.current)), digest: request.current } : undefined;
  const problem = baseCandidateProblem(candidate, request.expected, current);
  if (problem) throw new ImageVerificationRefused(`refusing ${ctx.config.registry.host}/${request.repository}@${request.digest} as the base: ${problem}`, ErrorType.baseRefused);
  return candidate;
}

async function verifyOnce(ctx: ActivityContext, repository: string, digest: string, publicKeyPem: Buffer, failure: string): Promise<VerifiedImage> {
  try {
    const report = await verifyImage({
      registry: ctx.registry,
      repository,
      reference: digest,
      publicKeyPem,
      require: [PredicateType.slsaProvenance1],
    });
    if (report.digest !== digest) throw new Error(`verified ${report.digest}, expected ${digest}`);
    const p = report.provenance;
    return { digest: report.digest, builder: p?.builderId ?? 'unknown', image: p?.image, release: p?.release, variant: p?.variant, cycle: p?.cycle, finishedOn: p?.finishedOn };
  } catch (err) {
    if (err instanceof RegistryError && err.transient) throw err;
    throw new ImageVerificationRefused(`${ctx.config.registry.host}/${repository}@${digest} failed verification: ${(err as Error).message}`, failure);
  }
}
