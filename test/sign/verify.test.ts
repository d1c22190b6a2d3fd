/**
 * verifyImage against a real registry: what it reports for a signed image,
 * and that each way an image can be unsigned or tampered with fails with
 * its own code and a message naming the cause.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { signAndAttach } from '../../lib/signing/attach';
import { BUNDLE_PREDICATE_TYPE_ANNOTATION } from '../../lib/signing/bundles';
import { PREDICATE_TYPE_ANNOTATION } from '../../lib/signing/cosignLegacy';
import { attestationTag, referrersTag, signatureTag } from '../../lib/oci/artifacts';
import { formatVerification, verifiedPredicate, verifyImage } from '../../lib/signing/verify';
import type { RegistryClient } from '../../lib/oci/registry';
import { PredicateType } from '../../domain/attest/predicateTypes';
import { TEMPERED_BUILD_TYPE } from '../../domain/attest/provenance';
import { sha256Digest } from '../../domain/digest';
import type { ImageManifest } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import type { TestRegistry } from '../support/registry';
import { buildInputs, makeKeys, pushTinyImage, type TestKeys, useSigningRegistry } from './support';

jest.setTimeout(60_000);

const REPO = 'tempered/verifytest';
let registry: TestRegistry;
let client: RegistryClient;
let keys: TestKeys;
useSigningRegistry((parts) => ({ registry, client, keys } = parts));

async function signedImage(content: string, tag?: string): Promise<string> {
  const digest = await pushTinyImage(client, REPO, content, tag);
  await signAndAttach({ registry: client, repository: REPO, digest, key: keys.key, ...buildInputs() });
  return digest;
}

const verify = (reference: string, publicKeyPem = keys.publicKeyPem) => verifyImage({ registry: client, repository: REPO, reference, publicKeyPem });

async function manifestJson(reference: string): Promise<{ raw: Buffer; value: ImageManifest & { manifests?: { digest: string; size: number; annotations?: Record<string, string> }[] } }> {
  const m = await client.getManifest(REPO, reference);
  if (!m) throw new Error(`${reference} is missing`);
  return { raw: m.body, value: JSON.parse(m.body.toString()) };
}

async function putJson(reference: string, value: unknown, mediaType: string): Promise<string> {
  return client.putManifest(REPO, reference, JSON.stringify(value), mediaType);
}

/** Rewrites a JSON blob as an attacker with registry write access (but no key) would. */
async function alteredBlob(digest: string, alter: (json: Record<string, unknown>) => void): Promise<{ digest: string; size: number }> {
  const json = JSON.parse((await client.getBlob(REPO, digest)).toString()) as Record<string, unknown>;
  alter(json);
  const bytes = Buffer.from(JSON.stringify(json));
  await client.pushBlob(REPO, sha256Digest(bytes), bytes);
  return { digest: sha256Digest(bytes), size: bytes.length };
}

/** Flips every VEX statement to not_affected inside a base64 in-toto payload, keeping the signature. */
function forgeVexPayload(payloadB64: string): string {
  const statement = JSON.parse(Buffer.from(payloadB64, 'base64').toString());
  for (const s of statement.predicate.statements) s.status = 'not_affected';
  return Buffer.from(JSON.stringify(statement)).toString('base64');
}

test('reports what a signed image carries, by tag and by digest', async () => {
  const digest = await signedImage('good', 'good');
  const report = await verify('good');
  expect(report).toMatchObject({
    image: `${registry.host}/${REPO}@${digest}`,
    reference: 'good',
    digest,
    keyFingerprint: keys.key.fingerprint,
    signature: { legacy: true, bundle: true },
    predicateTypes: [PredicateType.cosignVuln, PredicateType.ctrf, PredicateType.cyclonedx, PredicateType.vulns, PredicateType.openvex, PredicateType.slsaProvenance1],
    provenance: {
      builderId: 'https://tempered.dev/builders/temporal-worker/v1',
      buildType: TEMPERED_BUILD_TYPE,
      invocationId: 'image:signtest:bookworm:runtime/0195f3c2-7b1e-7c3a-9d4e-1a2b3c4d5e6f',
      lockDigest: 'sha256:' + 'd'.repeat(64),
      dependencies: 3,
    },
    sbom: { specVersion: '1.6', components: 3 },
    vex: { statements: 3, byStatus: { fixed: 1, not_affected: 1, under_investigation: 1, affected: 0 } },
    tests: { tests: 3, passed: 2, failed: 0, skipped: 1 },
  });
  expect(report.attestations.every((a) => a.legacy && a.bundle)).toBe(true);
  expect(await verify(digest)).toEqual({ ...report, reference: digest });
  const text = formatVerification(report);
  expect(text).toContain(`lock digest   sha256:${'d'.repeat(64)}`);
  expect(text).toContain('VEX           3 statements (1 not_affected, 1 fixed, 1 under_investigation)');
});

test('fails IMAGE_UNSIGNED when the tag is pointed at an unsigned image', async () => {
  await signedImage('moving', 'moving');
  const unsigned = await pushTinyImage(client, REPO, 'not signed', 'moving');
  await expect(verify('moving')).rejects.toMatchObject({ name: 'VerificationError', code: 'IMAGE_UNSIGNED', message: expect.stringContaining(`${unsigned} (moving) is not signed`) });
});

test('fails ATTESTATION_INVALID naming the altered .att layer', async () => {
  const digest = await signedImage('altered-att');
  const att = await manifestJson(attestationTag(digest));
  const position = att.value.layers.findIndex((l) => l.annotations?.[PREDICATE_TYPE_ANNOTATION] === PredicateType.openvex);
  const layer = att.value.layers[position];
  if (!layer) throw new Error('no openvex layer');
  const forged = await alteredBlob(layer.digest, (envelope) => {
    envelope.payload = forgeVexPayload(envelope.payload as string);
  });
  att.value.layers[position] = { ...layer, ...forged };
  await putJson(attestationTag(digest), att.value, MediaType.ociManifest);

  const failure = verify(digest);
  await expect(failure).rejects.toMatchObject({ code: 'ATTESTATION_INVALID' });
  await expect(failure).rejects.toThrow(`${attestationTag(digest)} layer ${position + 1} (${PredicateType.openvex}): DSSE signature does not verify`);
});

describe('verifiedPredicate (what a changelog reads of the previous publish)', () => {
  const sbomOf = (reference: string, publicKeyPem = keys.publicKeyPem) =>
    verifiedPredicate({ registry: client, repository: REPO, reference, publicKeyPem, predicateType: PredicateType.cyclonedx });

  it('returns the verified SBOM, reading only its .att layer', async () => {
    const digest = await signedImage('predicate-good');
    expect(await sbomOf(digest)).toMatchObject({ bomFormat: 'CycloneDX' });
  });

  it('refuses an altered SBOM layer, naming its position, and another key', async () => {
    const digest = await signedImage('predicate-altered');
    const att = await manifestJson(attestationTag(digest));
    const position = att.value.layers.findIndex((l) => l.annotations?.[PREDICATE_TYPE_ANNOTATION] === PredicateType.cyclonedx);
    const layer = att.value.layers[position]!;
    att.value.layers[position] = { ...layer, ...(await alteredBlob(layer.digest, (envelope) => {
      const statement = JSON.parse(Buffer.from(envelope.payload as string, 'base64').toString());
      statement.predicate.components = [];
      envelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    })) };
    await putJson(attestationTag(digest), att.value, MediaType.ociManifest);
    await expect(sbomOf(digest)).rejects.toThrow(`${attestationTag(digest)} layer ${position + 1} (${PredicateType.cyclonedx}): DSSE signature does not verify`);
    const other = await signedImage('predicate-other-key');
    await expect(sbomOf(other, makeKeys('other').publicKeyPem)).rejects.toMatchObject({ code: 'ATTESTATION_INVALID' });
  });
});

test('fails ATTESTATION_INVALID naming the altered bundle referrer', async () => {
  const digest = await signedImage('altered-bundle');
  const index = await manifestJson(referrersTag(digest));
  const entry = index.value.manifests?.find((d) => d.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION] === PredicateType.slsaProvenance1);
  if (!entry) throw new Error('no provenance referrer');
  const referrer = await manifestJson(entry.digest);
  const layer = referrer.value.layers[0];
  if (!layer) throw new Error('referrer without layer');
  const forged = await alteredBlob(layer.digest, (bundle) => {
    const envelope = bundle.dsseEnvelope as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    statement.predicate.runDetails.builder.id = 'https://attacker.example/builder';
    envelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  });
  referrer.value.layers[0] = { ...layer, ...forged };
  const forgedDigest = await putJson(sha256Digest(JSON.stringify(referrer.value)), referrer.value, MediaType.ociManifest);
  Object.assign(entry, { digest: forgedDigest, size: Buffer.byteLength(JSON.stringify(referrer.value)) });
  await putJson(referrersTag(digest), index.value, MediaType.ociIndex);

  const failure = verify(digest);
  await expect(failure).rejects.toMatchObject({ code: 'ATTESTATION_INVALID' });
  await expect(failure).rejects.toThrow(`bundle referrer ${forgedDigest.slice(0, 19)} (${PredicateType.slsaProvenance1}): bundle signature does not verify with key ${keys.key.fingerprint}`);
});

test('fails ATTESTATION_INVALID when the registry storage serves altered bytes', async () => {
  const digest = await signedImage('altered-storage');
  const att = await manifestJson(attestationTag(digest));
  const layer = att.value.layers.find((l) => l.annotations?.[PREDICATE_TYPE_ANNOTATION] === PredicateType.cyclonedx);
  const hex = layer?.digest.slice('sha256:'.length) ?? '';
  const file = path.join(registry.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  const bytes = fs.readFileSync(file);
  const at = bytes.length - 3;
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
  fs.writeFileSync(file, bytes);
  await expect(verify(digest)).rejects.toMatchObject({
    code: 'ATTESTATION_INVALID',
    message: expect.stringContaining(`(${PredicateType.cyclonedx}): envelope blob ${layer?.digest} is missing or does not match its digest`),
  });
});

test('fails WRONG_KEY when given another public key', async () => {
  const digest = await signedImage('wrong-key');
  const other = makeKeys('other');
  const failure = verify(digest, other.publicKeyPem);
  await expect(failure).rejects.toMatchObject({ code: 'WRONG_KEY' });
  await expect(failure).rejects.toThrow(
    `nothing attached to ${registry.host}/${REPO}@${digest} verifies with key ${other.key.fingerprint}: wrong public key, or every signature was altered; its bundles name signing key hint ${keys.key.publicKey.hint}`,
  );
});

test('fails SUBJECT_MISMATCH when another image signatures are copied onto a digest', async () => {
  const signed = await signedImage('swap-source');
  const victim = await pushTinyImage(client, REPO, 'swap-target', 'swap');
  for (const [from, to] of [
    [signatureTag(signed), signatureTag(victim)],
    [attestationTag(signed), attestationTag(victim)],
    [referrersTag(signed), referrersTag(victim)],
  ] as const) {
    const m = await manifestJson(from);
    await client.putManifest(REPO, to, m.raw, m.value.mediaType ?? MediaType.ociManifest);
  }
  const failure = verify('swap');
  await expect(failure).rejects.toMatchObject({ code: 'SUBJECT_MISMATCH' });
  await expect(failure).rejects.toThrow(`${signatureTag(victim)} layer 1: signature is for ${signed}, not ${victim}`);
  const problems = await failure.catch((err: { problems: string[] }) => err.problems);
  expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(`is attached to ${signed}, not ${victim}`), expect.stringContaining(`statement is about ${signed}, not ${victim}`)]));
});

test('fails ATTESTATION_MISSING when a required attestation was removed', async () => {
  const digest = await signedImage('missing-provenance');
  const att = await manifestJson(attestationTag(digest));
  att.value.layers = att.value.layers.filter((l) => l.annotations?.[PREDICATE_TYPE_ANNOTATION] !== PredicateType.slsaProvenance1);
  await putJson(attestationTag(digest), att.value, MediaType.ociManifest);
  const index = await manifestJson(referrersTag(digest));
  index.value.manifests = index.value.manifests?.filter((d) => d.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION] !== PredicateType.slsaProvenance1);
  await putJson(referrersTag(digest), index.value, MediaType.ociIndex);
  await expect(verify(digest)).rejects.toMatchObject({ code: 'ATTESTATION_MISSING', message: expect.stringContaining(`no verified ${PredicateType.slsaProvenance1} attestation`) });
});

test('fails IMAGE_NOT_FOUND for a tag that does not exist', async () => {
  await expect(verify('no-such-tag')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
});
