/**
 * Preloaded into the workflow context (see bundlerOptions.ts): evaluates zod
 * once for every workflow. zod sets its defaults (English messages, the
 * memoizer) on the first schema it builds and would set them on a frozen
 * config object later, so a schema is built and parsed here, while the
 * shared copy can still be written, with parser compilation turned off.
 * Exports nothing: whatever it exported would be frozen too.
 */
import { z } from 'zod';

z.config({ jitless: true });
z.object({ warmUp: z.string() }).safeParse({ warmUp: 1 });
