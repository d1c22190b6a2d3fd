/**
 * Preloaded into the workflow context (see bundlerOptions.ts): evaluates zod
 * once for every workflow. zod sets its defaults (English messages, the
 * memoizer) on the first schema it builds, which a frozen config object would
 * refuse later, so a schema is built and parsed here while it can still be
 * written. `jitless`: zod would compile each object schema's parser with
 * `new Function` on its first parse, and a workflow run parses a signal or two
 * with schemas of its own, so the compile never pays back. Exports nothing:
 * whatever it exported would be frozen too.
 */
import { z } from 'zod';

z.config({ jitless: true });
z.object({ warmUp: z.string() }).safeParse({ warmUp: 1 });
