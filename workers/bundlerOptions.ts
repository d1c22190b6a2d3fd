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
 * schema would refuse. Measured in `npm run bench -- scale`: 1,000 idle
 * workflows, worker RSS 1,486 MiB before, 571 MiB after.
 */
import * as path from 'node:path';

/** Absolute, so webpack finds it from the generated entrypoint; .ts or .js, whichever this checkout runs. */
const sharedZod = path.join(__dirname, 'sharedZod');

export const WORKFLOW_BUNDLER_OPTIONS = { preloadModules: [sharedZod] };
