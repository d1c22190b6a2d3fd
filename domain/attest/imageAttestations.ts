/**
 * The statements tempered signs for one published image: the signature
 * statement (cosign v3 bundle form) and the four attestations. Pure, so the
 * exact bytes a sign activity will sign can be computed and tested anywhere.
 */
import type { CtrfReport } from '../report/ctrf';
import { PredicateType } from './predicateTypes';
import { buildProvenance, type ProvenanceInput } from './provenance';
import { cyclonedxPredicate } from './sbom';
import { imageSubject, makeStatement, type Statement } from './statement';
import { ctrfPredicate } from './testResults';
import { buildOpenVex, type VexInput } from './vex';

export interface ImageAttestationInput {
  /** `registry/repository` of the image. */
  repositoryUrl: string;
  digest: string;
  provenance: ProvenanceInput;
  /** CycloneDX JSON object, as the scan stage produced it. */
  sbom: unknown;
  ctrf: CtrfReport;
  vex: Omit<VexInput, 'image'>;
}

/** The statement `cosign sign` (v3, bundle format) signs for an image: empty predicate, subject = the image. */
export function cosignSignStatement(repositoryUrl: string, digest: string): Statement {
  return makeStatement(imageSubject(repositoryUrl, digest), PredicateType.cosignSign, {});
}

/** Provenance, SBOM, VEX and test results, in that order, all about the same subject. */
export function imageAttestations(input: ImageAttestationInput): Statement[] {
  const subject = imageSubject(input.repositoryUrl, input.digest);
  return [
    makeStatement(subject, PredicateType.slsaProvenance1, buildProvenance(input.provenance)),
    makeStatement(subject, PredicateType.cyclonedx, cyclonedxPredicate(input.sbom)),
    makeStatement(subject, PredicateType.openvex, buildOpenVex({ ...input.vex, image: { repositoryUrl: input.repositoryUrl, digest: input.digest } })),
    makeStatement(subject, PredicateType.ctrf, ctrfPredicate(input.ctrf)),
  ];
}
