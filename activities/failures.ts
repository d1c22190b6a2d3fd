/**
 * Classifies errors into what Temporal should do with them: input and
 * policy problems become non-retryable ApplicationFailures with a typed
 * name (the workflow records them and waits for on-call); everything else
 * is rethrown and retried under the activity's policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { AccountError } from '../domain/catalog/accounts';
import { InputError } from '../domain/schema/errors';
import { TreeError } from '../domain/rootfs/errors';
import { DebFormatError } from '../lib/deb/ar';
import { DowngradeRefusedError } from '../lib/resolve/downgrades';
import { ImageVerificationRefused } from '../lib/signing/baseVerification';
import { ErrorType } from './types';

export function asActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof InputError || err instanceof AccountError) {
    return ApplicationFailure.nonRetryable(err.message, ErrorType.invalidDefinition);
  }
  // A package whose contents break the tree rules, or that is not a well-formed .deb, stays so on every retry.
  if (err instanceof TreeError && err.code === 'RUNTIME_POLICY') return ApplicationFailure.nonRetryable(err.message, ErrorType.runtimePolicyViolation);
  if (err instanceof TreeError || err instanceof DebFormatError) return ApplicationFailure.nonRetryable(err.message, ErrorType.packageRefused);
  if (err instanceof DowngradeRefusedError) return ApplicationFailure.nonRetryable(err.message, ErrorType.downgradeRefused);
  if (err instanceof ImageVerificationRefused) return ApplicationFailure.nonRetryable(err.message, err.failureType);
  return err;
}

/** Runs an activity body, translating input errors into non-retryable failures. */
export async function classified<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw asActivityFailure(err);
  }
}
