/**
 * Typed failures of signing and verification. Each carries a `code` a caller
 * branches on (the activity wrapper maps codes to non-retryable
 * ApplicationFailure types; RegistryError stays the transient one). Messages
 * name files, tags and key fingerprints, never key material.
 */
import { TemperedError } from '../../domain/errors';

export const KEY_ERROR_CODES = ['KEY_EXISTS', 'KEY_NOT_FOUND', 'KEY_PERMISSIONS', 'KEY_INVALID'] as const;

/** The signing key: its file exists already, is missing, is readable by others, or is not an unencrypted ECDSA P-256 key. */
export type KeyErrorCode = (typeof KEY_ERROR_CODES)[number];

/** A key problem, or a refused signing request (the image is not in the registry, the digest is malformed). */
export type SignErrorCode = KeyErrorCode | 'IMAGE_NOT_FOUND' | 'INVALID_INPUT';

export class SignError extends TemperedError<SignErrorCode> {}

/** A SignError about the signing key itself (one of KEY_ERROR_CODES). */
export function isKeyError(err: unknown): err is SignError & { readonly code: KeyErrorCode } {
  return err instanceof SignError && (KEY_ERROR_CODES as readonly string[]).includes(err.code);
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

export class VerificationError extends TemperedError<VerificationErrorCode> {
  constructor(
    code: VerificationErrorCode,
    message: string,
    /** Every problem found, first one is the `code`'s. */
    readonly problems: readonly string[] = [message],
  ) {
    super(code, message);
  }
}
