/** Image builds, on the build task queue with small concurrency. Scale: one per build machine. */
import { runWorkers } from './run';

void runWorkers(['build']).catch((err) => {
  console.error(err);
  process.exit(1);
});
