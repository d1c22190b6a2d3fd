/**
 * A catalog image published for amd64 and arm64 by its real patch workflow
 * (TEMPERED_ARCHITECTURES=amd64,arm64; the arm64 build on its own task
 * queue, its image tests under qemu-user emulation): the tag names an OCI
 * image index with both platforms, each platform manifest is the image of
 * its architecture, stock cosign v2 and v3 verify the signature and every
 * attestation of the index and of each platform manifest, offline with the
 * key, and `docker run --platform` runs each: node reports `arm64` and `x64`.
 * A customization of it (customizations are amd64 images) builds on the
 * index's amd64 manifest.
 */
import { COSIGN_TYPE_FLAG, IMAGE_ATTESTATION_TYPES, PUBLISHED_ATTESTATION_TYPES } from '../../domain/attest/predicateTypes';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import type { ImageIndexDocument } from '../../domain/oci/imageIndex';
import type { PatchState } from '../../domain/patch/state';
import { dockerClient } from '../../lib/engine/client';
import { runInContainer } from '../../lib/engine/run';
import { cliEnv, runCli } from '../support/cli';
import { startStack, type Stack } from '../support/stack';
import { waitForState } from '../support/wait';
import { cosignBinary, type CosignHome, registryClient, runCosign, startCosignHome } from './support';

jest.setTimeout(900_000);

const OFFLINE_TRUSTED_ROOT = path.join(__dirname, '..', 'fixtures', 'sign', 'trusted-root-offline.json');
const WORKFLOW = 'image:node:trixie:runtime';
let stack: Stack;
let cosignHome: CosignHome | undefined;
let home: string;
let state: PatchState;
let index: ImageIndexDocument;
let customizations: string;

const NODE_APP = `
name: node-app
description: a configuration file on the multi-platform node image
base: { image: node, release: trixie, variant: runtime }
tagSuffix: node-app
files:
  - { path: /etc/node-app/config.toml, content: "name = \\"node-app\\"\\n", mode: "0644" }
tests:
  - name: the configuration is in place
    file: /etc/node-app/config.toml
    contains: node-app
`;

beforeAll(async () => {
  customizations = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-customizations-'));
  fs.writeFileSync(path.join(customizations, 'node-app.yaml'), NODE_APP);
  stack = await startStack({ env: { TEMPERED_ARCHITECTURES: 'amd64,arm64', TEMPERED_CUSTOMIZATIONS_DIR: customizations } });
  cosignHome = await startCosignHome(OFFLINE_TRUSTED_ROOT);
  home = cosignHome.home;
  await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'node', release: 'trixie', variant: 'runtime' });
  state = await waitForState(stack.client, WORKFLOW, (s) => !!s.published || s.phase === 'failed', 600_000);
  if (!state.published) throw new Error(`node:trixie was not published: ${JSON.stringify(state.failure)}`);
  const fetched = await registryClient(stack.registry.host).getManifest('tempered/node', 'trixie');
  index = JSON.parse(fetched?.body.toString('utf8') ?? '{}') as ImageIndexDocument;
});
afterAll(async () => {
  await cosignHome?.close();
  await stack?.stop();
  if (customizations) fs.rmSync(customizations, { recursive: true, force: true });
});

const ref = (digest: string) => `${stack.registry.host}/tempered/node@${digest}`;
const platformDigests = () => index.manifests.map((m) => m.digest);

test('the tag names an image index of linux/amd64 and linux/arm64/v8, each manifest the image of its architecture', async () => {
  expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
  expect(state.published?.digest).toBe(await registryClient(stack.registry.host).resolve('tempered/node', 'trixie'));
  expect(index.manifests.map((m) => m.platform)).toEqual([{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
  const registry = registryClient(stack.registry.host);
  for (const m of index.manifests) {
    const manifest = JSON.parse((await registry.getManifest('tempered/node', m.digest))?.body.toString('utf8') ?? '{}') as { config: { digest: string } };
    const config = JSON.parse((await registry.getBlob('tempered/node', manifest.config.digest)).toString('utf8')) as { architecture: string };
    expect(config.architecture).toBe(m.platform.architecture);
  }
  // latest follows trixie, the newest release: the same index.
  expect(await registry.resolve('tempered/node', 'latest')).toBe(state.published?.digest);
});

describe.each(['v2', 'v3'] as const)('cosign %s', (major) => {
  const bin = cosignBinary(major);
  (bin ? test : test.skip)('verifies the signature and every attestation of the index and of each platform manifest, offline with the key', async () => {
    const common = ['--key', stack.config.publicKeyPath, '--insecure-ignore-tlog=true'];
    for (const digest of [state.published!.digest, ...platformDigests()]) {
      const verify = await runCosign(bin as string, ['verify', ...common, ref(digest)], home);
      expect([digest, verify.code, verify.code === 0 ? '' : verify.stderr]).toEqual([digest, 0, '']);
      const types = digest === state.published!.digest ? PUBLISHED_ATTESTATION_TYPES : IMAGE_ATTESTATION_TYPES;
      for (const type of types.map((uri) => COSIGN_TYPE_FLAG[uri] as string)) {
        const run = await runCosign(bin as string, ['verify-attestation', ...common, '--type', type, ref(digest)], home);
        expect([digest, type, run.code]).toEqual([digest, type, 0]);
      }
    }
  });
});

test('tempered verify: the index SBOM lists both architectures\' packages; each platform\'s lists its own', async () => {
  const sbomOf = async (digest: string) => {
    const run = await runCli(['verify', ref(digest), '--json'], cliEnv(stack.config));
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as { verified: boolean; sbom: { components: number } };
  };
  const [all, amd64, arm64] = await Promise.all([state.published!.digest, ...platformDigests()].map(sbomOf));
  expect(all?.verified).toBe(true);
  expect(all?.sbom.components).toBeGreaterThan(Math.max(amd64?.sbom.components ?? 0, arm64?.sbom.components ?? 0));
});

test('docker run --platform runs each platform: node reports arm64 under emulation and x64 natively', async () => {
  const reference = `${stack.registry.host}/tempered/node:trixie`;
  for (const [platform, arch] of [['linux/arm64', 'arm64'], ['linux/amd64', 'x64']] as const) {
    const stream = await dockerClient().pull(reference, { platform });
    await new Promise((resolve, reject) => dockerClient().modem.followProgress(stream, (err) => (err ? reject(err) : resolve(undefined))));
    const run = await runInContainer({ image: reference, platform, command: ['-e', 'console.log(process.arch)'], timeoutSeconds: 60 });
    expect([platform, run.exitCode, run.stdout]).toEqual([platform, 0, `${arch}\n`]);
  }
});

test('a customization of the index builds on its amd64 manifest, and names it as its base', async () => {
  const custom = await waitForState(stack.client, 'custom:node-app', (s) => !!s.published || s.phase === 'failed', 300_000);
  expect(custom.failure).toBeUndefined();
  expect(custom.published?.baseDigest).toBe(state.published?.digest);
  const registry = registryClient(stack.registry.host);
  const repository = custom.published!.reference.slice(stack.registry.host.length + 1).split(':')[0] as string;
  const manifest = JSON.parse((await registry.getManifest(repository, custom.published!.digest))?.body.toString('utf8') ?? '{}') as { annotations: Record<string, string> };
  expect(manifest.annotations['org.opencontainers.image.base.digest']).toBe(index.manifests.find((m) => m.platform.architecture === 'amd64')?.digest);
});
