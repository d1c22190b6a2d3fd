/**
 * How the workflow code is bundled: the same for the workers, replay and the
 * tests, so what is measured and replayed is what runs.
 *
 * The SDK reuses one V8 context for every workflow and gives each workflow
 * run its own instance of every bundled module: a run that starts (every
 * continue-as-new, every cache eviction) evaluates them all again, and each
 * cached run holds its own copy. A preloaded module is evaluated once, into
 * the context's shared cache, and frozen. zod qualifies: it is a library of
 * schema constructors with no per-workflow state. Our own schemas (domain/)
 * stay per run: zod derives some of their fields lazily, which a frozen
 * schema would refuse.
 *
 * `jitless`: zod compiles an object schema's parser with `new Function` on
 * its first parse; every run parses a signal or two with schemas of its own,
 * so the compile is never paid back. Set here, before the shared copy of zod
 * is frozen.
 */
import * as path from 'node:path';

/** Absolute, so webpack finds it from the generated entrypoint; .ts or .js, whichever this checkout runs. */
const sharedZod = path.join(__dirname, 'sharedZod');

export const WORKFLOW_BUNDLER_OPTIONS = { preloadModules: [sharedZod] };
