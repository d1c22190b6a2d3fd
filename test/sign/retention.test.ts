/**
 * Unique tag retention against a real registry: an expired unique tag's
 * digest goes with its cosign tags, its referrers index and the bundle
 * manifests that index lists; a digest a moving tag or a customization
 * still names stays, signatures and all, whatever its unique tag's age.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type PruneResult, retentionActivities } from '../../activities/retention';
import { parseConfig } from '../../domain/config';
import { sha256Digest } from '../../domain/digest';
import { Annotation } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import { createContext } from '../../lib/context';
import { attestationTag, referrersTag, signatureTag } from '../../lib/oci/artifacts';
import type { RegistryClient } from '../../lib/oci/registry';
import { signAndAttach } from '../../lib/signing/attach';
import type { TestRegistry } from '../support/registry';
import { buildInputs, pushTinyImage, type TestKeys, useSigningRegistry } from './support';

jest.setTimeout(120_000);

const REPO = 'tempered/retained';
let registry: TestRegistry;
let client: RegistryClient;
let keys: TestKeys;
useSigningRegistry((parts) => ({ registry, client, keys } = parts));

async function signed(content: string, tags: string[]): Promise<string> {
  const digest = await pushTinyImage(client, REPO, content);
  await signAndAttach({ registry: client, repository: REPO, digest, key: keys.key, ...buildInputs() });
  const manifest = (await client.getManifest(REPO, digest))!;
  for (const tag of tags) await client.putManifest(REPO, tag, manifest.body, MediaType.ociManifest);
  return digest;
}

test('an expired digest goes with every signature artifact; what a moving tag or a customization names stays', async () => {
  const expired = await signed('expired', ['trixie-20260101.1']);
  const rolledBackTo = await signed('rolled back to', ['trixie-20260102.2', 'trixie']);
  const base = await signed('base of a customization', ['trixie-20260103.3']);
  const recent = await signed('recent', ['trixie-20261206.9']);
  // A customization in the same repository, built on `base`.
  const customManifest = Buffer.from(JSON.stringify({ ...JSON.parse((await client.getManifest(REPO, recent))!.body.toString('utf8')), annotations: { [Annotation.baseDigest]: base } }));
  await client.putManifest(REPO, 'trixie-app', customManifest, MediaType.ociManifest);
  const referrers = JSON.parse((await client.getManifest(REPO, referrersTag(expired)))!.body.toString('utf8')) as { manifests: { digest: string }[] };
  expect(referrers.manifests.length).toBeGreaterThan(3);

  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-retention-'));
  const ctx = createContext(parseConfig({ TEMPERED_REGISTRY: registry.host, TEMPERED_STATE_DIR: stateDir }));
  const prune = () => new MockActivityEnvironment().run(() =>
    retentionActivities(ctx).pruneUniqueTags({ repository: REPO, policy: { keepDays: 30, keepNewest: 1 }, now: '2026-12-07T12:00:00Z' })) as Promise<PruneResult>;
  const result = await prune();

  expect(result).toEqual({ repository: REPO, deleted: ['trixie-20260101.1'], kept: 5 });
  expect(await client.resolve(REPO, expired)).toBeUndefined();
  for (const tag of [signatureTag(expired), attestationTag(expired), referrersTag(expired)]) expect(await client.resolve(REPO, tag)).toBeUndefined();
  for (const m of referrers.manifests) expect(await client.resolve(REPO, m.digest)).toBeUndefined();
  for (const digest of [rolledBackTo, base, recent]) {
    expect(await client.resolve(REPO, digest)).toBe(digest);
    expect(await client.resolve(REPO, signatureTag(digest))).toBeDefined();
    expect(await client.resolve(REPO, referrersTag(digest))).toBeDefined();
  }
  expect(await client.resolve(REPO, 'trixie-app')).toBe(sha256Digest(customManifest));
  expect((await client.listTags(REPO)).filter((t) => !t.startsWith('sha256-')).sort()).toEqual(['trixie', 'trixie-20260102.2', 'trixie-20260103.3', 'trixie-20261206.9', 'trixie-app']);

  // Run again: nothing more to do.
  expect((await prune()).deleted).toEqual([]);
});
