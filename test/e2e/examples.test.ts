/**
 * The example customizations of the repository (catalog/customizations),
 * built for real on the catalog's python, nginx and cc runtime images: each
 * base's first publish cascades to its example, which passes its base's
 * runtime policy and its own tests (the Python app imports requests and
 * trusts the example CA, nginx accepts the site's server block, the cc
 * service runs as its service user) and verifies.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verifyImage } from '../../lib/signing/verify';
import { createContext } from '../../lib/context';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { startStack, type Stack } from '../support/stack';
import { waitForState } from '../support/wait';

jest.setTimeout(1_800_000);

const REPO_CATALOG = path.resolve(__dirname, '../../catalog');
const EXAMPLES: Record<string, string> = { 'python-app': 'python', 'nginx-site': 'nginx', 'cc-service': 'cc' };

let stack: Stack;
let catalogDir: string;

beforeAll(async () => {
  // A copy of the catalog with only the examples' bases, so the run writes nothing into the repository.
  catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-examples-'));
  for (const base of new Set(Object.values(EXAMPLES))) {
    // The definition and its lock for each release (`cc.yaml`, `cc.trixie.lock.json`, `cc.bookworm.lock.json`).
    const ofBase = (file: string) => file === `${base}.yaml` || (file.startsWith(`${base}.`) && file.endsWith('.lock.json'));
    for (const file of fs.readdirSync(REPO_CATALOG).filter(ofBase)) fs.copyFileSync(path.join(REPO_CATALOG, file), path.join(catalogDir, file));
  }
  fs.cpSync(path.join(REPO_CATALOG, 'customizations'), path.join(catalogDir, 'customizations'), { recursive: true });
  stack = await startStack({ env: { TEMPERED_CATALOG_DIR: catalogDir } });
  for (const base of new Set(Object.values(EXAMPLES))) {
    await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: base, release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 1 });
  }
});
afterAll(async () => {
  await stack?.stop();
  if (catalogDir) fs.rmSync(catalogDir, { recursive: true, force: true });
});

test.each(Object.entries(EXAMPLES))('%s is built on the published %s image, passes its tests and verifies', async (name, base) => {
  const baseState = await waitForState(stack.client, `image:${base}:bookworm:runtime`, (s) => !!s.published || s.phase === 'failed', 1_500_000);
  expect(baseState.failure).toBeUndefined();
  const s = await waitForState(stack.client, `custom:${name}`, (st) => (!!st.published && !st.current) || st.phase === 'failed', 1_500_000);
  expect(s.failure).toBeUndefined();
  expect(s.published?.baseDigest).toBe(baseState.published!.digest);
  expect(s.published?.reference).toBe(`${stack.registry.host}/tempered/${base}:bookworm-${name === 'python-app' ? 'python-app' : name === 'nginx-site' ? 'site' : 'service'}`);
  const ctx = createContext(stack.config);
  const report = await verifyImage({ registry: ctx.registry, repository: `tempered/${base}`, reference: s.published!.digest, publicKeyPem: fs.readFileSync(stack.config.publicKeyPath) });
  expect(report.tests?.failed).toBe(0);
  // The lock written beside the customization: what `git add` would commit.
  expect(fs.existsSync(path.join(catalogDir, 'customizations', `${name}.lock.json`))).toBe(true);
});
