/**
 * The workflow bundle, built once per test run and shared by every test file
 * (webpack takes seconds): cached in the temp dir under a hash of the
 * workflow sources, so a changed workflow is always rebundled.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../workers/bundlerOptions';

const ROOT = path.resolve(__dirname, '../..');

function sourcesHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) hash.update(full).update(fs.readFileSync(full));
    }
  };
  for (const dir of ['workflows', 'domain']) walk(path.join(ROOT, dir));
  for (const file of ['workers/bundlerOptions.ts', 'workers/sharedZod.ts']) hash.update(file).update(fs.readFileSync(path.join(ROOT, file)));
  return hash.digest('hex').slice(0, 16);
}

export async function workflowBundle(): Promise<{ code: string }> {
  const file = path.join(os.tmpdir(), `tempered-workflows-${sourcesHash()}.js`);
  if (fs.existsSync(file)) return { code: fs.readFileSync(file, 'utf8') };
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'workflows'), ...WORKFLOW_BUNDLER_OPTIONS, logger: quietLogger });
  fs.writeFileSync(`${file}.tmp`, code);
  fs.renameSync(`${file}.tmp`, file);
  return { code };
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };
