/**
 * signAndAttach against a real registry: the exact layout it leaves, that a
 * retry adds nothing, that a run killed after any single write and retried
 * leaves exactly one of everything, and that a changed statement replaces
 * the old one instead of piling up.
 */
import { signAndAttach, type SignAndAttachInput } from '../../lib/signing/attach';
import { BUNDLE_MEDIA_TYPE, BUNDLE_PREDICATE_TYPE_ANNOTATION } from '../../lib/signing/bundles';
import { COSIGN_SIGNATURE_ANNOTATION, PREDICATE_TYPE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from '../../lib/signing/cosignLegacy';
import { DSSE_ENVELOPE_MEDIA_TYPE } from '../../lib/signing/dsse';
import { attestationTag, referrersTag, signatureTag } from '../../lib/oci/artifacts';
import { verifyImage } from '../../lib/signing/verify';
import { RegistryClient, RegistryError } from '../../lib/oci/registry';
import { IMAGE_ATTESTATION_TYPES, PredicateType } from '../../domain/attest/predicateTypes';
import { sha256Digest } from '../../domain/digest';
import type { ImageManifest } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import type { TestRegistry } from '../support/registry';
import { buildInputs, pushTinyImage, type TestKeys, useSigningRegistry } from './support';

jest.setTimeout(120_000);

const REPO = 'tempered/signtest';
let registry: TestRegistry;
let client: RegistryClient;
let keys: TestKeys;
useSigningRegistry((parts) => ({ registry, client, keys } = parts));

const input = (digest: string, over: Partial<SignAndAttachInput> = {}): SignAndAttachInput => ({
  registry: client,
  repository: REPO,
  digest,
  key: keys.key,
  ...buildInputs(),
  ...over,
});

async function json<T>(reference: string): Promise<{ digest: string; value: T }> {
  const m = await client.getManifest(REPO, reference);
  if (!m) throw new Error(`${reference} not found`);
  return { digest: m.digest, value: JSON.parse(m.body.toString()) as T };
}

interface Index {
  mediaType: string;
  manifests: { digest: string; artifactType?: string; annotations?: Record<string, string> }[];
}

/** The invariants of a signed digest: one signature layer, one attestation per type, one bundle per statement, nothing dangling. */
async function expectOneOfEverything(digest: string): Promise<void> {
  const sig = await json<ImageManifest>(signatureTag(digest));
  expect(sig.value.layers).toHaveLength(1);
  const att = await json<ImageManifest>(attestationTag(digest));
  expect(att.value.layers.map((l) => l.annotations?.[PREDICATE_TYPE_ANNOTATION]).sort()).toEqual([...IMAGE_ATTESTATION_TYPES].sort());
  const index = await json<Index>(referrersTag(digest));
  const types = index.value.manifests.map((d) => d.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION]).sort();
  expect(types).toEqual([...IMAGE_ATTESTATION_TYPES, PredicateType.cosignSign].sort());
  for (const entry of index.value.manifests) expect(await client.getManifest(REPO, entry.digest)).toBeDefined();
  await verifyImage({ registry: client, repository: REPO, reference: digest, publicKeyPem: keys.publicKeyPem, require: IMAGE_ATTESTATION_TYPES });
}

test('lays out the cosign tags and the bundle referrers for one digest', async () => {
  const digest = await pushTinyImage(client, REPO, 'layout', 'layout');
  const result = await signAndAttach(input(digest));
  expect(result).toEqual({
    digest,
    signature: 'created',
    attestations: IMAGE_ATTESTATION_TYPES.map((predicateType) => ({ predicateType, status: 'created' })),
    // 1 simple signing + one per attestation (DSSE shared by .att and bundle) + 1 cosign/sign bundle statement
    signaturesCreated: 2 + IMAGE_ATTESTATION_TYPES.length,
  });

  const hex = digest.slice('sha256:'.length);
  expect((await client.listTags(REPO)).filter((t) => t.includes(hex)).sort()).toEqual([`sha256-${hex}`, `sha256-${hex}.att`, `sha256-${hex}.sig`]);

  const sig = await json<ImageManifest>(signatureTag(digest));
  expect(sig.value.mediaType).toBe(MediaType.ociManifest);
  expect(sig.value.config.mediaType).toBe(MediaType.ociConfig);
  const sigLayer = sig.value.layers[0];
  expect(sigLayer?.mediaType).toBe(SIMPLE_SIGNING_MEDIA_TYPE);
  const payload = JSON.parse((await client.getBlob(REPO, sigLayer?.digest ?? '')).toString());
  expect(payload).toEqual({
    critical: { identity: { 'docker-reference': `${registry.host}/${REPO}` }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
    optional: null,
  });
  expect(sigLayer?.annotations?.[COSIGN_SIGNATURE_ANNOTATION]).toMatch(/^[A-Za-z0-9+/]+=*$/);

  const att = await json<ImageManifest>(attestationTag(digest));
  for (const layer of att.value.layers) {
    expect(layer.mediaType).toBe(DSSE_ENVELOPE_MEDIA_TYPE);
    const envelope = JSON.parse((await client.getBlob(REPO, layer.digest)).toString());
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(envelope.signatures).toEqual([{ keyid: '', sig: expect.any(String) }]);
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    expect(Object.keys(statement).sort()).toEqual(['_type', 'predicate', 'predicateType', 'subject']);
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.subject).toEqual([{ name: `${registry.host}/${REPO}`, digest: { sha256: hex } }]);
    expect(statement.predicateType).toBe(layer.annotations?.[PREDICATE_TYPE_ANNOTATION]);
  }

  const index = await json<Index>(referrersTag(digest));
  expect(index.value.mediaType).toBe(MediaType.ociIndex);
  const image = await client.getManifest(REPO, digest);
  for (const entry of index.value.manifests) {
    expect(entry.artifactType).toBe(BUNDLE_MEDIA_TYPE);
    const referrer = await json<ImageManifest>(entry.digest);
    expect(referrer.value.artifactType).toBe(BUNDLE_MEDIA_TYPE);
    expect(referrer.value.subject).toEqual({ mediaType: MediaType.ociManifest, digest, size: image?.body.length });
    expect(referrer.value.config).toEqual({ mediaType: MediaType.ociEmpty, digest: sha256Digest('{}'), size: 2 });
    expect(referrer.value.layers).toHaveLength(1);
    const bundle = JSON.parse((await client.getBlob(REPO, referrer.value.layers[0]?.digest ?? '')).toString());
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.publicKey.hint).toBe(keys.key.publicKey.hint);
    expect(bundle.verificationMaterial.tlogEntries ?? []).toEqual([]);
    // keyid empty (protobuf JSON then omits it): cosign rejects any keyid but its own fingerprint form.
    expect(bundle.dsseEnvelope.signatures).toEqual([{ sig: expect.any(String) }]);
    expect(bundle.dsseEnvelope.signatures[0].keyid ?? '').toBe('');
  }
  await expectOneOfEverything(digest);
});

test('a second run finds everything and writes nothing', async () => {
  const digest = await pushTinyImage(client, REPO, 'rerun');
  await signAndAttach(input(digest));
  const before = await Promise.all([signatureTag(digest), attestationTag(digest), referrersTag(digest)].map((t) => client.resolve(REPO, t)));
  const again = await signAndAttach(input(digest));
  expect(again.signature).toBe('existing');
  expect(again.attestations.every((a) => a.status === 'existing')).toBe(true);
  expect(again.signaturesCreated).toBe(0);
  const after = await Promise.all([signatureTag(digest), attestationTag(digest), referrersTag(digest)].map((t) => client.resolve(REPO, t)));
  expect(after).toEqual(before);
  await expectOneOfEverything(digest);
});

/** A registry client whose Nth write fails as if the worker died there. */
class DyingRegistry extends RegistryClient {
  writes = 0;
  constructor(
    host: string,
    private readonly dieAt: number,
  ) {
    super({ host, scheme: 'http' });
  }
  private tick(): void {
    if (++this.writes === this.dieAt) throw new RegistryError('REGISTRY_UNREACHABLE', `killed at write ${this.dieAt}`);
  }
  override async pushBlob(...args: Parameters<RegistryClient['pushBlob']>) {
    this.tick();
    return super.pushBlob(...args);
  }
  override async putManifest(...args: Parameters<RegistryClient['putManifest']>) {
    this.tick();
    return super.putManifest(...args);
  }
  override async deleteManifest(...args: Parameters<RegistryClient['deleteManifest']>) {
    this.tick();
    return super.deleteManifest(...args);
  }
}

test('killed after any write and retried, a digest ends with exactly one of everything', async () => {
  const counting = new DyingRegistry(registry.host, Number.POSITIVE_INFINITY);
  await signAndAttach(input(await pushTinyImage(client, REPO, 'count-writes'), { registry: counting }));
  const total = counting.writes;
  expect(total).toBeGreaterThan(10);
  const killAndRetry = async (dieAt: number) => {
    const digest = await pushTinyImage(client, REPO, `killed-at-${dieAt}`);
    await expect(signAndAttach(input(digest, { registry: new DyingRegistry(registry.host, dieAt) }))).rejects.toThrow(`killed at write ${dieAt}`);
    const retried = await signAndAttach(input(digest));
    expect(retried.attestations.every((a) => a.status !== 'replaced')).toBe(true);
    await expectOneOfEverything(digest);
    const third = await signAndAttach(input(digest));
    expect(third.signaturesCreated).toBe(0);
  };
  // Each kill point gets its own digest, so they can run a few at a time.
  const points = Array.from({ length: total }, (_, i) => i + 1);
  for (let i = 0; i < points.length; i += 4) await Promise.all(points.slice(i, i + 4).map(killAndRetry));
});

test('a changed statement replaces the old attestation and its referrer', async () => {
  const digest = await pushTinyImage(client, REPO, 'replace');
  await signAndAttach(input(digest));
  const oldIndex = await json<Index>(referrersTag(digest));
  const oldVex = oldIndex.value.manifests.find((d) => d.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION] === PredicateType.openvex);

  const updated = await signAndAttach(input(digest, buildInputs({ vexTimestamp: '2026-01-16T08:00:00Z', extraWaiting: 'CVE-2025-0002' })));
  expect(updated.signature).toBe('existing');
  expect(Object.fromEntries(updated.attestations.map((a) => [a.predicateType, a.status]))).toEqual({
    [PredicateType.slsaProvenance1]: 'existing',
    [PredicateType.cyclonedx]: 'existing',
    [PredicateType.openvex]: 'replaced',
    // The vulnerability report lists the new waiting advisory too.
    [PredicateType.vulns]: 'replaced',
    [PredicateType.cosignVuln]: 'replaced',
    [PredicateType.ctrf]: 'existing',
  });
  expect(updated.signaturesCreated).toBe(3); // the VEX and both vulnerability reports
  await expectOneOfEverything(digest);
  expect(await client.getManifest(REPO, oldVex?.digest ?? '')).toBeUndefined();
  const report = await verifyImage({ registry: client, repository: REPO, reference: digest, publicKeyPem: keys.publicKeyPem });
  expect(report.vex?.byStatus.under_investigation).toBe(2);
});

test('keeps referrers it does not own in the fallback index', async () => {
  const digest = await pushTinyImage(client, REPO, 'foreign-referrer');
  const image = await client.getManifest(REPO, digest);
  const blob = Buffer.from('{"note":"scanned by someone else"}');
  await client.pushBlob(REPO, sha256Digest(blob), blob);
  await client.pushBlob(REPO, sha256Digest('{}'), Buffer.from('{}'));
  const foreign = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: 'application/vnd.example.report+json',
    config: { mediaType: MediaType.ociEmpty, digest: sha256Digest('{}'), size: 2 },
    layers: [{ mediaType: 'application/vnd.example.report+json', digest: sha256Digest(blob), size: blob.length }],
    subject: { mediaType: MediaType.ociManifest, digest, size: image?.body.length },
  };
  const foreignBytes = JSON.stringify(foreign);
  const foreignDigest = await client.putManifest(REPO, sha256Digest(foreignBytes), foreignBytes, MediaType.ociManifest);
  const entry = { mediaType: MediaType.ociManifest, digest: foreignDigest, size: foreignBytes.length, artifactType: foreign.artifactType };
  await client.putManifest(REPO, referrersTag(digest), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [entry] }), MediaType.ociIndex);

  await signAndAttach(input(digest));
  await signAndAttach(input(digest));
  const index = await json<Index>(referrersTag(digest));
  expect(index.value.manifests[0]).toEqual(entry);
  expect(index.value.manifests).toHaveLength(1 + IMAGE_ATTESTATION_TYPES.length + 1);
  await verifyImage({ registry: client, repository: REPO, reference: digest, publicKeyPem: keys.publicKeyPem });
});

test('restores a lost fallback index with the signatures the .att tag already holds', async () => {
  const digest = await pushTinyImage(client, REPO, 'lost-index');
  await signAndAttach(input(digest));
  const before = await json<Index>(referrersTag(digest));
  await client.deleteManifest(REPO, before.digest);
  const again = await signAndAttach(input(digest));
  expect(again.attestations.every((a) => a.status === 'created')).toBe(true);
  // Attestation bundles sign the same PAE bytes as the .att envelopes, whose
  // signatures are reused: byte-identical bundles, same referrer manifests.
  // Only the cosign/sign statement exists nowhere else and is signed again.
  expect(again.signaturesCreated).toBe(1);
  const after = await json<Index>(referrersTag(digest));
  const attestationEntries = (index: Index) =>
    index.manifests.filter((d) => d.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION] !== PredicateType.cosignSign).map((d) => d.digest);
  expect(attestationEntries(after.value)).toEqual(attestationEntries(before.value));
  await expectOneOfEverything(digest);
});

test('collapses a second signature of ours on the .sig tag (left by a concurrent run) into one', async () => {
  const digest = await pushTinyImage(client, REPO, 'double-signature');
  await signAndAttach(input(digest));
  const sig = await json<ImageManifest>(signatureTag(digest));
  const layer = sig.value.layers[0];
  if (!layer) throw new Error('no signature layer');
  const payload = await client.getBlob(REPO, layer.digest);
  const second = { ...layer, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: keys.key.sign(payload).toString('base64') } };
  await client.putManifest(REPO, signatureTag(digest), JSON.stringify({ ...sig.value, layers: [layer, second] }), MediaType.ociManifest);
  const again = await signAndAttach(input(digest));
  expect(again.signature).toBe('existing');
  expect(again.signaturesCreated).toBe(0);
  await expectOneOfEverything(digest);
});

test('refuses to sign a digest the registry does not have', async () => {
  await expect(signAndAttach(input('sha256:' + 'e'.repeat(64)))).rejects.toMatchObject({ name: 'SignError', code: 'IMAGE_NOT_FOUND' });
});
