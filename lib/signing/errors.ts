/**
 * Typed failures of signing and verification. Each carries a `code` a caller
 * branches on (the activity wrapper maps codes to non-retryable
 * ApplicationFailure types; RegistryError stays the transient one). Messages
 * name files, tags and key fingerprints, never key material.
 */

export type KeyErrorCode = 'KEY_EXISTS' | 'KEY_NOT_FOUND' | 'KEY_PERMISSIONS' | 'KEY_INVALID';

export class KeyError extends Error {
  override readonly name = 'KeyError';
  constructor(
    readonly code: KeyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type SignErrorCode = 'IMAGE_NOT_FOUND' | 'INVALID_INPUT';

export class SignError extends Error {
  override readonly name = 'SignError';
  constructor(
    readonly code: SignErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type VerificationErrorCode =
  /** The reference resolves to nothing. */
  | 'IMAGE_NOT_FOUND'
  /** No signature and no attestation is attached to the digest. */
  | 'IMAGE_UNSIGNED'
  /** Nothing attached verifies with the given key, though things are attached. */
  | 'WRONG_KEY'
  /** A signature entry is attached but does not verify (altered payload or signature). */
  | 'SIGNATURE_INVALID'
  /** An attestation entry is attached but does not verify or is malformed. */
  | 'ATTESTATION_INVALID'
  /** A verified payload is about another digest (signatures copied from another image). */
  | 'SUBJECT_MISMATCH'
  /** A required signature or attestation is absent. */
  | 'ATTESTATION_MISSING';

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
  constructor(
    readonly code: VerificationErrorCode,
    message: string,
    /** Every problem found, first one is the `code`'s. */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
}
