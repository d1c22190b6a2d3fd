/** Workflows and light activities, on the orchestration task queue. Scale: a few per cluster. */
import { runWorkers } from './run';

void runWorkers(['orchestration']).catch((err) => {
  console.error(err);
  process.exit(1);
});
