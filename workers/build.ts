/** Heavy activities (resolve, build, test, scan, sign, publish), on the build task queue. Scale: one per build machine. */
import { runWorkers } from './run';

void runWorkers(['build']).catch((err) => {
  console.error(err);
  process.exit(1);
});
