/**
 * Stock cosign (v2.6.5 and v3.1.3, built by scripts/install-tools) verifies
 * what signAndAttach publishes, offline, with nothing but the public key.
 *
 * What each major reads (from their sources, and checked here):
 *  - v3 lists the referrers (API, else the `sha256-<hex>` fallback tag) and,
 *    when sigstore bundles are there, verifies only those; without bundles it
 *    falls back to the `.sig`/`.att` tags (forced with --new-bundle-format=false).
 *  - v2.6.5 also auto-detects bundles, but then demands a sigstore trusted
 *    root even to verify with --key (fixed upstream in cosign PR #4613, v3
 *    only). Online it fetches the public-good root by TUF. Offline, as in an
 *    air-gapped deployment, `cosign initialize` points it at a private TUF
 *    mirror (offlineTuf.ts) serving a root with no authorities (the key is
 *    the only trust); then the exact command users type passes. Without
 *    bundles, v2 reads the legacy tags with no set-up at all.
 */
import * as path from 'node:path';
import { signAndAttach } from '../../lib/signing/attach';
import { referrersTag } from '../../lib/oci/artifacts';
import type { RegistryClient } from '../../lib/oci/registry';
import { COSIGN_TYPE_FLAG, IMAGE_ATTESTATION_TYPES } from '../../domain/attest/predicateTypes';
import { startRegistry, type TestRegistry } from '../support/registry';
import { type OfflineTuf, startOfflineTuf } from './offlineTuf';
import { buildInputs, cosignBinary, makeKeys, removeKeys, pushTinyImage, registryClient, runCosign, type CosignRun, type TestKeys } from './support';

jest.setTimeout(180_000);

const REPO = 'tempered/cosigntest';
const OFFLINE_TRUSTED_ROOT = path.join(__dirname, '..', 'fixtures', 'sign', 'trusted-root-offline.json');
let tuf: OfflineTuf | undefined;
/** Each attestation with the --type cosign users give for it (`vuln` for cosign's vuln type). */
const ATTESTATION_TYPES: [flag: string, uri: string][] = IMAGE_ATTESTATION_TYPES.map((uri) => [COSIGN_TYPE_FLAG[uri] as string, uri]);

let registry: TestRegistry;
let client: RegistryClient;
let keys: TestKeys;
/** Signed in both layouts. */
let both: string;
/** Signed, then its fallback index deleted: only the cosign tags remain. */
let legacyOnly: string;

beforeAll(async () => {
  registry = await startRegistry();
  client = registryClient(registry.host);
  keys = makeKeys();
  both = await pushTinyImage(client, REPO, 'both layouts');
  await signAndAttach({ registry: client, repository: REPO, digest: both, key: keys.key, ...buildInputs() });
  legacyOnly = await pushTinyImage(client, REPO, 'legacy layout only');
  await signAndAttach({ registry: client, repository: REPO, digest: legacyOnly, key: keys.key, ...buildInputs() });
  const index = await client.resolve(REPO, referrersTag(legacyOnly));
  if (!index) throw new Error('no fallback index');
  await client.deleteManifest(REPO, index);
  expect(await client.resolve(REPO, referrersTag(legacyOnly))).toBeUndefined();
});
afterAll(async () => {
  await tuf?.close();
  await registry?.stop();
  removeKeys();
});

const ref = (digest: string) => `${registry.host}/${REPO}@${digest}`;

function expectOk(run: CosignRun): void {
  if (run.code !== 0) throw new Error(`cosign exited ${run.code}:\n${run.stderr}`);
}

/** Predicate types of the envelopes `cosign verify-attestation` prints, one JSON per line. */
function printedPredicateTypes(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(Buffer.from((JSON.parse(line) as { payload: string }).payload, 'base64').toString()).predicateType as string);
}

function cosignSuite(major: 'v2' | 'v3', bin: string, bundleFlags: string[]): void {
  const cosign = (...args: string[]) => runCosign(bin, args, keys.dir);
  const verify = (digest: string, ...extra: string[]) => cosign('verify', '--key', keys.publicKeyPath, '--insecure-ignore-tlog=true', ...extra, ref(digest));
  const verifyAttestation = (digest: string, type: string, ...extra: string[]) =>
    cosign('verify-attestation', '--key', keys.publicKeyPath, '--insecure-ignore-tlog=true', '--type', type, ...extra, ref(digest));

  test(`cosign ${major} verify passes on the bundle referrers${bundleFlags.length ? ` with ${bundleFlags.join(' ')}` : ''}`, async () => {
    const run = await verify(both, ...bundleFlags);
    expectOk(run);
    expect(run.stdout).toContain(`"docker-manifest-digest":"${both}"`);
  });

  test.each(ATTESTATION_TYPES)(`cosign ${major} verify-attestation --type %s passes on the bundle referrers`, async (flag, uri) => {
    const run = await verifyAttestation(both, flag, ...bundleFlags);
    expectOk(run);
    expect(printedPredicateTypes(run.stdout)).toEqual([uri]);
  });

  test(`cosign ${major} verify passes on the legacy .sig tag alone`, async () => {
    const run = await verify(legacyOnly);
    expectOk(run);
    expect(run.stdout).toContain(`"docker-manifest-digest":"${legacyOnly}"`);
  });

  test.each(ATTESTATION_TYPES)(`cosign ${major} verify-attestation --type %s passes on the legacy .att tag alone`, async (flag, uri) => {
    const run = await verifyAttestation(legacyOnly, flag);
    expectOk(run);
    expect(printedPredicateTypes(run.stdout)).toEqual([uri]);
  });

  test(`cosign ${major} rejects the wrong public key`, async () => {
    const other = makeKeys('other');
    const run = await cosign('verify', '--key', other.publicKeyPath, '--insecure-ignore-tlog=true', ...bundleFlags, ref(both));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('failed to verify signature');
  });
}

const v2 = cosignBinary('v2');
const v3 = cosignBinary('v3');
for (const [major, bin] of [['v2', v2], ['v3', v3]] as const) {
  if (!bin) console.warn(`cosign ${major} is not built: its cases are skipped. Run scripts/install-tools cosign-${major}.`);
}

(v3 ? describe : describe.skip)('cosign v3.1.3', () => {
  cosignSuite('v3', v3 ?? '', []);

  test('cosign v3 reads the legacy tags when told to skip bundles', async () => {
    expectOk(await runCosign(v3 ?? '', ['verify', '--key', keys.publicKeyPath, '--insecure-ignore-tlog=true', '--new-bundle-format=false', ref(both)], keys.dir));
  });
});

(v2 ? describe : describe.skip)('cosign v2.6.5', () => {
  beforeAll(async () => {
    tuf = await startOfflineTuf(OFFLINE_TRUSTED_ROOT);
    expectOk(await runCosign(v2 ?? '', ['initialize', '--mirror', tuf.url, '--root', tuf.rootJson], keys.dir));
  });
  cosignSuite('v2', v2 ?? '', []);

  test('cosign v2 also verifies with an explicit --trusted-root, no TUF set-up', async () => {
    expectOk(await runCosign(v2 ?? '', ['verify', '--key', keys.publicKeyPath, '--insecure-ignore-tlog=true', '--trusted-root', OFFLINE_TRUSTED_ROOT, ref(both)], keys.dir));
  });
});
