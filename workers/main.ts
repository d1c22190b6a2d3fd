/**
 * The embedded default: both workers in one process. Production runs
 * workers/orchestration.ts and workers/build.ts separately (docker-compose.yml).
 */
import { runWorkers } from './run';

void runWorkers(['orchestration', 'build']).catch((err) => {
  console.error(err);
  process.exit(1);
});
