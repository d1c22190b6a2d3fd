/**
 * `stdoutMatches` / `stderrMatches` of image tests: a definition's or a
 * customization's regular expression run against what an image printed.
 * Both sides come from outside, and a backtracking engine takes hours on
 * `^(a+)+$` against forty characters, in the worker's main thread. RE2's
 * semantics (re2js, the JavaScript port of RE2) match in time linear in the
 * input, and refuse what needs backtracking (backreferences, lookaround) at
 * load time, where domain/catalog/definition.ts checks every pattern.
 */
import { RE2JS } from 're2js';

/** Only the start of a long output is matched: tests look at a version line or a greeting, not megabytes. */
export const MAX_MATCHED_CHARS = 1024 * 1024;

const compiled = new Map<string, RE2JS>();

export function compilePattern(source: string): RE2JS {
  let pattern = compiled.get(source);
  if (!pattern) {
    pattern = RE2JS.compile(source, RE2JS.MULTILINE);
    if (compiled.size >= 256) compiled.clear();
    compiled.set(source, pattern);
  }
  return pattern;
}

/** Whether the pattern finds a match in (the first MAX_MATCHED_CHARS of) `text`. */
export function patternFinds(source: string, text: string): boolean {
  return compilePattern(source).matcher(text.length > MAX_MATCHED_CHARS ? text.slice(0, MAX_MATCHED_CHARS) : text).find();
}

/** Why `source` is not a pattern tests can use, or undefined. */
export function patternProblem(source: string): string | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (err) {
    return `is not a linear-time (RE2) regular expression: ${(err as Error).message.slice(0, 200)}`;
  }
}
