/**
 * `tempered sbom` end to end: the static runtime image built from its lock
 * and pushed to a real registry, then its SBOM printed from the registry
 * reference (blobs pulled into a fresh state directory) and from the local
 * catalog name. Both are the same valid CycloneDX document listing every
 * locked package.
 */
import { NEWEST_RELEASE } from '../../domain/debian/releases';
import { DEFAULT_ARCHITECTURE } from '../../domain/platform';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { readLockFile } from '../../lib/locks/lockStore';
import { pushByDigest } from '../../lib/oci/push';
import { RegistryClient } from '../../lib/oci/registry';
import { effectiveSpec } from '../../domain/catalog/effective';
import { lockFileFor, readDefinition } from '../../domain/catalog/load';
import { variantPackages } from '../../domain/lock';
import { MediaType } from '../../domain/oci/mediaTypes';
import { installedFromSbom, validateSbom } from '../../domain/sbom/cyclonedx';
import { registerSbom } from '../../cli/commands/sbom';
import { startRegistry, type TestRegistry } from '../support/registry';
import { buildForTest } from '../support/builds';
import { SHARED_CACHE } from '../support/stack';

jest.setTimeout(300_000);

const STATIC = path.join(__dirname, '../../catalog/static.yaml');
const lock = readLockFile(lockFileFor(STATIC, NEWEST_RELEASE));

let work: string;
let registry: TestRegistry;
let digest: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-sbom-'));
  registry = await startRegistry();
  const { built, store } = await buildForTest(effectiveSpec(readDefinition(STATIC), NEWEST_RELEASE, 'runtime'), lock, path.join(work, 'build'));
  digest = built.digest;
  const client = new RegistryClient({ host: registry.host, scheme: 'http' });
  await pushByDigest(client, 'tempered/static', store, digest);
  await client.putManifest('tempered/static', 'bookworm', store.read(digest), MediaType.ociManifest);
  // The command reads its configuration from the environment, once: a state directory of its own.
  Object.assign(process.env, {
    TEMPERED_STATE_DIR: path.join(work, 'cli-state'),
    TEMPERED_REGISTRY: registry.host,
    TEMPERED_DEB_CACHE: path.join(SHARED_CACHE, 'debs'),
    TEMPERED_ARCHIVE_CACHE: path.join(SHARED_CACHE, 'archive'),
  });
});

afterAll(async () => {
  await registry?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Runs `tempered sbom ARGS` and returns what it printed on stdout. */
async function sbom(...args: string[]): Promise<string> {
  const cli = new Command('tempered').exitOverride();
  registerSbom(cli);
  const printed: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...values: unknown[]) => void printed.push(values.join(' ')));
  const progress = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await cli.parseAsync(['node', 'tempered', 'sbom', ...args]);
  } finally {
    log.mockRestore();
    progress.mockRestore();
  }
  return printed.join('\n');
}

const lockedNames = variantPackages(lock, 'runtime', DEFAULT_ARCHITECTURE).map((p) => `${p.name}=${p.version}`).sort();

test('from a registry reference: pulled, valid, every locked package listed', async () => {
  const document = await sbom(`${registry.host}/tempered/static:bookworm`, '--json');
  expect(await validateSbom(document)).toEqual({ valid: true });
  const parsed = JSON.parse(document) as { metadata: { component: { name: string; version: string } } };
  expect(parsed.metadata.component).toMatchObject({ name: 'static', version: digest });
  expect(installedFromSbom(document).map((p) => `${p.name}=${p.version}`).sort()).toEqual(lockedNames);
});

test('from the catalog name: built locally from the lock, the same packages', async () => {
  const document = await sbom('static', '--json');
  expect(await validateSbom(document)).toEqual({ valid: true });
  expect(installedFromSbom(document).map((p) => `${p.name}=${p.version}`).sort()).toEqual(lockedNames);
});

test('without --json, a table of packages and a summary line naming the digest', async () => {
  const table = await sbom(`${registry.host}/tempered/static@${digest}`);
  for (const name of ['base-files', 'ca-certificates', 'tzdata']) expect(table).toContain(name);
  expect(table).toContain(`@${digest}: ${lockedNames.length} packages`);
});
