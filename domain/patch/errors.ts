/**
 * Names of the non-retryable failures activities throw (ApplicationFailure
 * types). The workflow lists them as non-retryable and records them; the
 * runbook (docs/ONCALL.md) says what each one means and what to do.
 */
export const ErrorType = {
  /** The definition or customization is invalid (names file, field, problem): fix it, then retry. */
  invalidDefinition: 'InvalidDefinition',
  /**
   * A package's contents break the builder's tree rules (a name through a symlink, a hardlink out of
   * the tree, a device node, two packages on one path) or it is not a well-formed .deb; the message
   * names the package and the path. Nothing was built: drop or pin the package, then retry.
   */
  packageRefused: 'PackageRefused',
  /**
   * A runtime image (or a customization on one) would hold a shell or package manager (by name or by
   * what the ELF file is), a setuid/setgid file the definition does not allow, or a world-writable file
   * outside /tmp; the message names the package (or the definition) and the path. Nothing was published.
   */
  runtimePolicyViolation: 'RuntimePolicyViolation',
  /** A policy or definition test failed in a container: the last good image stays published. */
  imageTestFailed: 'ImageTestFailed',
  /** A base image's signature or provenance did not verify: nothing is built on it. */
  baseVerificationFailed: 'BaseVerificationFailed',
  /**
   * A base digest (from a cascade or a raw baseChanged signal) is signed, but its provenance names
   * another image or variant, or it is older than the base the customization is on: refused and recorded,
   * the customization stays on its base.
   */
  baseRefused: 'BaseRefused',
  /**
   * The newest archive state resolves a package to an older version than the published image has (a
   * security update withdrawn, or a downgrade attack): nothing is built. On-call decides: `tempered
   * retry IMAGE --allow-downgrade REASON` builds it anyway, recorded with who and why.
   */
  downgradeRefused: 'DowngradeRefused',
  /** A rollback target's signature or provenance did not verify: the tag was not moved. */
  rollbackRefused: 'RollbackRefused',
  /** No signing key where the worker looks: run `tempered keys init` (or mount the key), then retry. */
  signingKeyMissing: 'SigningKeyMissing',
  /** The publish's unique tag already names another digest (a reset rebuilt a published cycle): unique tags never move. */
  uniqueTagTaken: 'UniqueTagTaken',
} as const;
