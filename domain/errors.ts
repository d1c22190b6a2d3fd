/**
 * The one shape of every failure tempered raises on purpose, modelled on
 * sigstore-js's BaseError (`class BaseError<T extends string> extends Error`
 * with a `code`): each error family is a subclass with its own union of
 * codes, and carries
 *
 * - `code`, machine-readable and stable: what callers branch on (a missing
 *   index is skipped, an unreachable registry is retried), what the activity
 *   adapters map to ApplicationFailure types (activities/failures.ts,
 *   activities/monitorFailures.ts), and what the CLI is to print as
 *   `code: message` (cli/runtime.ts reportError still prints `error: message`);
 * - `message`, for people: it names the file, field, package, URL or digest,
 *   never a secret;
 * - `name`, the concrete subclass's own name, set here once (so a subclass
 *   does not repeat it). Temporal reports an error it was not told about
 *   under its `name` as the failure type, so renaming a class changes what
 *   workflow histories record;
 * - `cause`, when another error led to this one.
 *
 * A family keeps its own structured fields (VerificationError.problems,
 * ArchiveError.url, TreeError's origin and path, ExecError's exit status,
 * RegistryError's status) as fields of its subclass. Codes are
 * SCREAMING_SNAKE, except those already recorded elsewhere in another form
 * (FeedLoadError's `feed-*`, DiskFullError's `ENOSPC`).
 */
export class TemperedError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** True for any TemperedError, or, given `code`, for one with that code. */
export function isTemperedError<Code extends string = string>(err: unknown, code?: Code): err is TemperedError<Code> {
  return err instanceof TemperedError && (code === undefined || err.code === code);
}
