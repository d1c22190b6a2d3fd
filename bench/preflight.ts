/**
 * What the benches need before any of them starts: a Docker engine that
 * answers, the Temporal CLI and the Debian tools the builder runs. Missing
 * parts fail the run at once with their names, instead of activities
 * retrying for as long as a bench waits. `npm run bench` (scripts/bench)
 * installs and starts them first, as scripts/test does.
 */
import * as fs from 'node:fs';
import Docker from 'dockerode';
import { loadConfig } from '../domain/config';
import { TEMPORAL_BIN } from '../test/support/temporal';

const TOOLS = ['/usr/bin/mmdebstrap', '/usr/bin/apt-ftparchive', '/usr/bin/gpgv', '/usr/bin/xz'];

export async function preflight(): Promise<void> {
  const missing: string[] = [];
  const socket = loadConfig().dockerSocket;
  try {
    await new Docker({ socketPath: socket, timeout: 3000 }).ping();
  } catch (err) {
    missing.push(`a Docker engine at ${socket} (${(err as Error).message.split('\n')[0]})`);
  }
  if (!fs.existsSync(TEMPORAL_BIN)) missing.push(`the temporal CLI at ${TEMPORAL_BIN}`);
  for (const tool of TOOLS) if (!fs.existsSync(tool)) missing.push(tool);
  if (!/^v24\./.test(process.version)) missing.push(`Node.js 24 (this is ${process.version})`);
  if (missing.length) {
    throw new Error(`bench: missing ${missing.join('; ')}. Run the benches with \`npm run bench\` (scripts/bench installs and starts what they need).`);
  }
}
