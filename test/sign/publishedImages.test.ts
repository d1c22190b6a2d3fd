/**
 * Images published by the real pipeline (both variants of `static`, through
 * their patch workflows) verify with stock cosign v2 and v3 and with
 * `tempered verify`; and no exported workflow history of those cycles holds
 * any byte of the private signing key.
 */
import { COSIGN_TYPE_FLAG, PUBLISHED_ATTESTATION_TYPES } from '../../domain/attest/predicateTypes';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { listRuns } from '../../client/imageHistory';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import type { PatchState } from '../../domain/patch/state';
import { cliEnv, runCli } from '../support/cli';
import { startStack, type Stack } from '../support/stack';
import { waitForState } from '../support/wait';
import { cosignBinary, type CosignHome, runCosign, startCosignHome } from './support';
import { fetchRunHistory } from '../../client/runHistory';

jest.setTimeout(900_000);

const OFFLINE_TRUSTED_ROOT = path.join(__dirname, '..', 'fixtures', 'sign', 'trusted-root-offline.json');
let stack: Stack;
let cosignHome: CosignHome | undefined;
let home: string;
const published: PatchState[] = [];

beforeAll(async () => {
  stack = await startStack();
  cosignHome = await startCosignHome(OFFLINE_TRUSTED_ROOT);
  home = cosignHome.home;
  for (const variant of ['runtime', 'dev'] as const) await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'static', release: 'bookworm', variant });
  for (const variant of ['runtime', 'dev']) {
    const state = await waitForState(stack.client, `image:static:bookworm:${variant}`, (s) => !!s.published || s.phase === 'failed');
    if (!state.published) throw new Error(`static:${variant} was not published: ${JSON.stringify(state.failure)}`);
    published.push(state);
  }
});
afterAll(async () => {
  await cosignHome?.close();
  await stack?.stop();
});

const refOf = (s: PatchState) => `${stack.registry.host}/tempered/static@${s.published!.digest}`;

describe.each(['v2', 'v3'] as const)('cosign %s', (major) => {
  const bin = cosignBinary(major);
  (bin ? test : test.skip).each([['runtime'], ['dev']])(`verifies the signature and the attestations of static:%s`, async (variant) => {
    const state = published.find((s) => s.image.kind === 'catalog' && s.image.variant === variant) as PatchState;
    const common = ['--key', stack.config.publicKeyPath, '--insecure-ignore-tlog=true'];
    const verify = await runCosign(bin as string, ['verify', ...common, refOf(state)], home);
    expect([verify.code, verify.stderr]).toEqual([0, expect.any(String)]);
    for (const type of PUBLISHED_ATTESTATION_TYPES.map((uri) => COSIGN_TYPE_FLAG[uri] as string)) {
      const run = await runCosign(bin as string, ['verify-attestation', ...common, '--type', type, refOf(state)], home);
      expect([type, run.code]).toEqual([type, 0]);
    }
  });
});

test('tempered verify reports the provenance, the SBOM and the VEX of each published image', async () => {
  for (const state of published) {
    const run = await runCli(['verify', refOf(state), '--json'], cliEnv(stack.config));
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ verified: true, digest: state.published!.digest, provenance: { lockDigest: state.published!.lockDigest } });
    expect(report.sbom.components).toBeGreaterThanOrEqual(5);
  }
});

test('no exported history of these cycles holds any byte of the private key', async () => {
  const pem = fs.readFileSync(stack.config.signingKeyPath, 'utf8');
  const key = crypto.createPrivateKey(pem);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const d = Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url');
  const needles = [
    pem.replace(/-----[A-Z ]+-----|\s/g, '').slice(0, 64),
    der.toString('base64').slice(20, 84),
    d.toString('hex'),
    d.toString('base64'),
    d.toString('base64url'),
  ];
  let exported = '';
  for (const state of published) {
    const workflowId = `image:static:bookworm:${state.image.kind === 'catalog' ? state.image.variant : ''}`;
    for (const run of await listRuns(stack.client, workflowId)) exported += historyToJSON(await fetchRunHistory(stack.client, workflowId, run.runId));
  }
  expect(exported).toContain('signImage');
  for (const needle of needles) expect(exported.includes(needle)).toBe(false);
});
