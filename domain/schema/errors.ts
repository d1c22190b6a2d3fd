/**
 * One way to turn a zod failure into a message a person can act on:
 * `<where>: <field path>: <problem>`, one line per problem.
 */
import type { z } from 'zod';

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly where: string,
    readonly problems: readonly { field: string; problem: string }[],
  ) {
    super(problems.map((p) => `${where}: ${p.field ? `${p.field}: ` : ''}${p.problem}`).join('\n'));
  }
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
