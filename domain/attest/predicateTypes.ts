/**
 * in-toto predicate type URIs tempered attests, named once.
 *
 * `cosign verify-attestation --type X` compares X's URI EXACTLY with the
 * statement's predicateType (cosign/cmd/cosign/cli/options/predicate.go), so
 * these strings are a compatibility contract, not a style choice.
 */
export const PredicateType = {
  /** SLSA provenance v1 (`--type slsaprovenance1`; plain `slsaprovenance` means v0.2). */
  slsaProvenance1: 'https://slsa.dev/provenance/v1',
  /** CycloneDX BOM (`--type cyclonedx`): the predicate is the BOM itself, unversioned URI. */
  cyclonedx: 'https://cyclonedx.org/bom',
  /** OpenVEX (`--type openvex`): cosign maps the flag to the unversioned namespace. */
  openvex: 'https://openvex.dev/ns',
  /**
   * Image test results as a CTRF report (ctrf.io). CTRF defines no in-toto
   * predicate type; the in-toto test-result/v0.1 predicate keeps only test
   * names and a URL, losing durations, suites and failure messages, so we
   * attest the CTRF document unchanged under a URI in the format owner's
   * namespace, versioned by major as in-toto's predicate guidelines ask.
   * Verify with `cosign verify-attestation --type https://ctrf.io/ctrf/v1`.
   */
  ctrf: 'https://ctrf.io/ctrf/v1',
  /**
   * What cosign v3 itself writes for `cosign sign` in the sigstore bundle
   * format: an in-toto statement with an empty predicate (cosign
   * pkg/types/predicate.go CosignSignPredicateType). cosign v3 only accepts
   * DSSE bundles as image signatures, so the signature bundle uses it too.
   */
  cosignSign: 'https://sigstore.dev/cosign/sign/v1',
  /** The vulnerability report in the in-toto vulns format (domain/attest/vulns.ts). */
  vulns: 'https://in-toto.io/attestation/vulns/v0.1',
  /** The same report under cosign's own type, which `--type vuln` means. */
  cosignVuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  /** What a publish changed and why (domain/changelog/changelog.ts, docs/CONSUMING.md): tempered's own, versioned by major. */
  changelog: 'https://tempered.dev/attestation/changelog/v1',
} as const;

export type PredicateTypeUri = (typeof PredicateType)[keyof typeof PredicateType];

/** The `--type` value to hand cosign for each attestation tempered writes. */
export const COSIGN_TYPE_FLAG: Readonly<Record<string, string>> = {
  [PredicateType.slsaProvenance1]: 'slsaprovenance1',
  [PredicateType.cyclonedx]: 'cyclonedx',
  [PredicateType.openvex]: 'openvex',
  [PredicateType.ctrf]: PredicateType.ctrf,
  [PredicateType.vulns]: PredicateType.vulns,
  [PredicateType.cosignVuln]: 'vuln',
  [PredicateType.changelog]: PredicateType.changelog,
};

/** The attestations every published image carries (the image signature is separate). */
export const IMAGE_ATTESTATION_TYPES = [
  PredicateType.slsaProvenance1,
  PredicateType.cyclonedx,
  PredicateType.openvex,
  PredicateType.ctrf,
  PredicateType.vulns,
  PredicateType.cosignVuln,
] as const;

/** What a published subject (the image, or the index of a multi-platform image) carries besides: its changelog. */
export const PUBLISHED_ATTESTATION_TYPES = [...IMAGE_ATTESTATION_TYPES, PredicateType.changelog] as const;
