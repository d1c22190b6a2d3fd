/**
 * The statements tempered signs for one published image: the signature
 * statement (cosign v3 bundle form) and the attestations. Pure, so the
 * exact bytes a sign activity will sign can be computed and tested anywhere.
 */
import type { ChangelogPredicate } from '../changelog/changelog';
import type { CtrfReport } from '../report/ctrf';
import { PredicateType } from './predicateTypes';
import { buildProvenance, type ProvenanceInput } from './provenance';
import { cyclonedxPredicate } from './sbom';
import { imageSubject, makeStatement, type Statement } from './statement';
import { ctrfPredicate } from './testResults';
import { buildOpenVex, type VexInput } from './vex';
import type { VulnsPredicate } from './vulns';

export interface ImageAttestationInput {
  /** `registry/repository` of the image. */
  repositoryUrl: string;
  digest: string;
  provenance: ProvenanceInput;
  /** CycloneDX JSON object, as the scan stage produced it. */
  sbom: unknown;
  ctrf: CtrfReport;
  vex: Omit<VexInput, 'image'>;
  vulns: VulnsPredicate;
  /** The published subject only (not each platform manifest of an index). */
  changelog?: ChangelogPredicate;
}

/** The statement `cosign sign` (v3, bundle format) signs for an image: empty predicate, subject = the image. */
export function cosignSignStatement(repositoryUrl: string, digest: string): Statement {
  return makeStatement(imageSubject(repositoryUrl, digest), PredicateType.cosignSign, {});
}

/** Provenance, SBOM, VEX, test results, the vulnerability report (twice: see vulns.ts) and the changelog, all about the same subject. */
export function imageAttestations(input: ImageAttestationInput): Statement[] {
  const subject = imageSubject(input.repositoryUrl, input.digest);
  return [
    makeStatement(subject, PredicateType.slsaProvenance1, buildProvenance(input.provenance)),
    makeStatement(subject, PredicateType.cyclonedx, cyclonedxPredicate(input.sbom)),
    makeStatement(subject, PredicateType.openvex, buildOpenVex({ ...input.vex, image: { repositoryUrl: input.repositoryUrl, digest: input.digest } })),
    makeStatement(subject, PredicateType.ctrf, ctrfPredicate(input.ctrf)),
    makeStatement(subject, PredicateType.vulns, input.vulns),
    makeStatement(subject, PredicateType.cosignVuln, input.vulns),
    ...(input.changelog ? [makeStatement(subject, PredicateType.changelog, input.changelog)] : []),
  ];
}
