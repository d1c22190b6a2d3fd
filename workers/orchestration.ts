/** Workflows and every activity but the build (tests need a Docker engine), on the orchestration task queue. */
import { runWorkers } from './run';

void runWorkers(['orchestration']).catch((err) => {
  console.error(err);
  process.exit(1);
});
