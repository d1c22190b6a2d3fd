/** Errors of the pure attestation builders: bad input, named by field. */
export type AttestationInputErrorCode = 'INVALID_STATEMENT' | 'INVALID_PROVENANCE_INPUT' | 'INVALID_SBOM' | 'INVALID_CTRF' | 'INVALID_VEX_INPUT';

export class AttestationInputError extends Error {
  override readonly name = 'AttestationInputError';
  constructor(
    readonly code: AttestationInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}
