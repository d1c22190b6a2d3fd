/**
 * One way to turn a zod failure into a message a person can act on:
 * `<where>: <field path>: <problem>`, one line per problem.
 */
import type { z } from 'zod';
import { TemperedError } from '../errors';

export class InputError extends TemperedError<'INPUT_INVALID'> {
  constructor(
    readonly where: string,
    readonly problems: readonly { field: string; problem: string }[],
  ) {
    super('INPUT_INVALID', problems.map((p) => `${where}: ${p.field ? `${p.field}: ` : ''}${p.problem}`).join('\n'));
  }
}

/** How much of a refused value a message quotes: enough to recognise it, never the megabytes someone sent. */
const EXCERPT_CHARS = 80;

/**
 * A refused value as a problem quotes it: `"value"` when short, else its first
 * 80 characters and its length, `"AAAA…" (1000000 characters)`. A refusal
 * travels on (workflow history, search attributes, logs), so it must stay small.
 */
export function excerpt(value: string): string {
  if (value.length <= EXCERPT_CHARS) return `"${value}"`;
  // Do not cut a surrogate pair in half.
  const cut = /[\ud800-\udbff]/.test(value.charAt(EXCERPT_CHARS - 1)) ? EXCERPT_CHARS - 1 : EXCERPT_CHARS;
  return `"${value.slice(0, cut)}…" (${value.length} characters)`;
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

export function problemsOf(error: z.ZodError): { field: string; problem: string }[] {
  return error.issues.map((issue) => ({ field: fieldPath(issue.path), problem: issue.message }));
}

/** Parses or throws an InputError naming where the input came from, each field and its problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InputError(where, problemsOf(result.error));
  return result.data;
}
