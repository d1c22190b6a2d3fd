import { TemperedError } from '../errors';

/** Errors of the pure attestation builders: bad input, named by field. */
export type AttestationInputErrorCode = 'INVALID_STATEMENT' | 'INVALID_PROVENANCE_INPUT' | 'INVALID_SBOM' | 'INVALID_CTRF' | 'INVALID_VEX_INPUT';

export class AttestationInputError extends TemperedError<AttestationInputErrorCode> {}
