/**
 * Sign one image digest and attach its attestations, in both layouts:
 *
 *   1. `sha256-<hex>.sig`  simple-signing signature        (cosign v2, v3 fallback)
 *   2. `sha256-<hex>.att`  one DSSE layer per predicate    (cosign v2, v3 fallback)
 *   3. bundle referrers    one manifest per statement, then the fallback
 *                          index `sha256-<hex>` listing them (cosign v3)
 *
 * Idempotent, because a Temporal retry may run it again after any step:
 * everything attached is first read back, our entries are recognized by the
 * digest of what they sign AND by verifying them with our key, and only what
 * is missing or outdated is written. Signatures found are reused (see
 * signer.ts), so a retry rebuilds byte-identical layers and manifests.
 * Ordering keeps the registry consistent at every instant: blobs before the
 * manifests that list them, referrer manifests before the index that lists
 * them, index update before deleting a superseded referrer.
 */
import { preAuthEncoding } from './dsse';
import { sha256Digest } from '../../domain/digest';
import { cosignSignStatement, imageAttestations, type ImageAttestationInput } from '../../domain/attest/imageAttestations';
import { IN_TOTO_PAYLOAD_TYPE, parseStatement, serializeStatement, type Statement } from '../../domain/attest/statement';
import type { Descriptor } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import type { RegistryClient } from '../oci/registry';
import {
  bundleLayerDescriptor,
  bundleReferrerManifest,
  buildStatementBundle,
  readReferrers,
  referrerDescriptor,
  verifyStatementBundle,
  type BundleReferrer,
  type Referrers,
} from './bundles';
import {
  ownAttestations,
  ownSignatureLayers,
  planAttestations,
  readLegacyImage,
  signatureLayer,
  simpleSigningPayload,
  writeLegacyImage,
  type AttachStatus,
  type LegacyImage,
} from './cosignLegacy';
import { SignError } from './errors';
import type { SigningKey } from './keys';
import { attestationTag, EMPTY_CONFIG, manifestBytes, putManifest, signatureTag, type ImageIndex } from '../oci/artifacts';
import { ReusingSigner } from './signer';

export interface SignAndAttachInput extends Omit<ImageAttestationInput, 'repositoryUrl' | 'digest'> {
  registry: RegistryClient;
  repository: string;
  digest: string;
  key: SigningKey;
  /** Called between steps, so the activity can heartbeat. */
  progress?: (step: string) => void;
}

export interface AttestationOutcome {
  predicateType: string;
  status: AttachStatus;
}

export interface SignAndAttachResult {
  digest: string;
  signature: 'created' | 'existing';
  attestations: AttestationOutcome[];
  /** Signatures computed by this run (0 on a retry that found everything in place). */
  signaturesCreated: number;
}

interface DesiredStatement {
  predicateType: string;
  bytes: Buffer;
}

export async function signAndAttach(input: SignAndAttachInput): Promise<SignAndAttachResult> {
  const { registry, repository, digest, key } = input;
  const progress = input.progress ?? (() => undefined);
  const subject = await imageDescriptor(registry, repository, digest);
  const repositoryUrl = `${registry.host}/${repository}`;

  const signStatement = toDesired(cosignSignStatement(repositoryUrl, digest));
  // Built before touching the registry: bad input fails fast and is not worth a retry.
  const attestations = imageAttestations({ repositoryUrl, digest, provenance: input.provenance, sbom: input.sbom, ctrf: input.ctrf, vex: input.vex, vulns: input.vulns, ...(input.changelog ? { changelog: input.changelog } : {}) }).map(toDesired);

  progress('reading attached signatures');
  const [sigImage, attImage, referrers] = await Promise.all([
    readLegacyImage(registry, repository, signatureTag(digest)),
    readLegacyImage(registry, repository, attestationTag(digest)),
    readReferrers(registry, repository, digest),
  ]);
  const signer = new ReusingSigner(key);
  const ownAtt = ownAttestations(attImage, key.publicKey);
  for (const own of ownAtt) signer.learn(preAuthEncoding(own.envelope.payloadType, own.envelope.payload), own.signature);
  const ownBundles = ownBundleReferrers(referrers, key, signer);

  progress('writing legacy signature');
  const legacySignature = await attachLegacySignature(registry, repository, sigImage, simpleSigningPayload(repositoryUrl, digest), key, signer);

  progress('writing legacy attestations');
  const plan = planAttestations(attImage, ownAtt, attestations, signer);
  if (plan.changed) await writeLegacyImage(registry, repository, attImage, plan.layers);

  progress('writing bundle referrers');
  const bundleStatuses = await attachBundles(registry, repository, subject, referrers, ownBundles, [signStatement, ...attestations], signer);

  return {
    digest,
    signature: legacySignature === 'created' || bundleStatuses.get(signStatement.predicateType) !== 'existing' ? 'created' : 'existing',
    attestations: attestations.map(({ predicateType }) => ({
      predicateType,
      status: combine(plan.statuses.get(predicateType), bundleStatuses.get(predicateType)),
    })),
    signaturesCreated: signer.created,
  };
}

function toDesired(statement: Statement): DesiredStatement {
  return { predicateType: statement.predicateType, bytes: serializeStatement(statement) };
}

/** The subject descriptor of the image: referrers must name its media type and size. */
async function imageDescriptor(registry: RegistryClient, repository: string, digest: string): Promise<Descriptor> {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new SignError('INVALID_INPUT', `"${digest}" is not a sha256 digest`);
  const manifest = await registry.getManifest(repository, digest);
  if (!manifest) throw new SignError('IMAGE_NOT_FOUND', `${registry.host}/${repository}@${digest} does not exist: publish the image before signing it`);
  let mediaType = manifest.mediaType.split(';')[0]?.trim() || MediaType.ociManifest;
  try {
    mediaType = (JSON.parse(manifest.body.toString('utf8')) as { mediaType?: string }).mediaType ?? mediaType;
  } catch {
    // Not JSON: keep the Content-Type the registry gave.
  }
  return { mediaType, digest, size: manifest.body.length };
}

async function attachLegacySignature(
  registry: RegistryClient,
  repository: string,
  image: LegacyImage,
  payload: Buffer,
  key: SigningKey,
  signer: ReusingSigner,
): Promise<'created' | 'existing'> {
  const own = ownSignatureLayers(image, payload, key.publicKey);
  // Keep every other signature (co-signers, older keys); drop layers whose blob
  // is gone and any second signature of ours (left by a concurrent run).
  const kept = image.layers.flatMap((l, i) => (l.blob && !own.slice(1).includes(i) ? [{ descriptor: l.descriptor, blob: l.blob }] : []));
  const status = own.length > 0 ? 'existing' : 'created';
  const layers = status === 'existing' ? kept : [...kept, signatureLayer(payload, signer.signBytes(payload))];
  if (layers.length !== image.layers.length || status === 'created') await writeLegacyImage(registry, repository, image, layers);
  return status;
}

interface OwnBundle {
  referrer: BundleReferrer;
  predicateType: string;
  payloadDigest: string;
}

/** Bundle referrers that verify with our key, their signatures learned for reuse. */
function ownBundleReferrers(referrers: Referrers, key: SigningKey, signer: ReusingSigner): OwnBundle[] {
  const own: OwnBundle[] = [];
  for (const referrer of referrers.bundles) {
    if (!referrer.bundle) continue;
    try {
      const verified = verifyStatementBundle(referrer.bundle, key.publicKey);
      if (verified.payloadType !== IN_TOTO_PAYLOAD_TYPE) continue;
      const statement = parseStatement(verified.payload);
      signer.learn(preAuthEncoding(verified.payloadType, verified.payload), verified.signature);
      own.push({ referrer, predicateType: statement.predicateType, payloadDigest: sha256Digest(verified.payload) });
    } catch {
      // Not verifiable with our key: someone else's, or damaged. Left alone; verifyImage reports damage.
    }
  }
  return own;
}

async function attachBundles(
  registry: RegistryClient,
  repository: string,
  subject: Descriptor,
  referrers: Referrers,
  own: readonly OwnBundle[],
  statements: readonly DesiredStatement[],
  signer: ReusingSigner,
): Promise<Map<string, AttachStatus>> {
  const statuses = new Map<string, AttachStatus>();
  const added: Descriptor[] = [];
  const superseded = new Set<string>();
  const wanted = statements.flatMap(({ predicateType, bytes }) => {
    const mine = own.filter((o) => o.predicateType === predicateType);
    const same = mine.find((o) => o.payloadDigest === sha256Digest(bytes));
    for (const other of mine) if (other !== same) superseded.add(other.referrer.entry.digest);
    statuses.set(predicateType, same ? 'existing' : mine.length > 0 ? 'replaced' : 'created');
    return same ? [] : [{ predicateType, bytes }];
  });
  if (wanted.length > 0) await registry.pushBlob(repository, sha256Digest(EMPTY_CONFIG), EMPTY_CONFIG);
  // Side by side: each bundle is its own blob and manifest; the index below names them only once all are in.
  added.push(...(await Promise.all(wanted.map(async ({ predicateType, bytes }) => {
    const bundle = await buildStatementBundle(bytes, signer);
    const layer = bundleLayerDescriptor(bundle);
    await registry.pushBlob(repository, layer.digest, bundle, { fresh: true });
    const manifest = bundleReferrerManifest(subject, layer, predicateType);
    // By digest, not by tag: the registry must hold it before the index names it.
    const pushed = await putManifest(registry, repository, sha256Digest(manifestBytes(manifest)), manifest);
    return referrerDescriptor(manifest, pushed);
  }))));

  const dropped = new Set([...superseded, ...referrers.dangling.map((d) => d.digest)]);
  const before = referrers.index?.value.manifests ?? [];
  const kept = before.filter((d) => !dropped.has(d.digest));
  const present = new Set(kept.map((d) => d.digest));
  const manifests = [...kept, ...added.filter((d) => !present.has(d.digest))];
  if (manifests.length !== before.length || manifests.some((d, i) => d.digest !== before[i]?.digest)) {
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
    await putManifest(registry, repository, referrers.tag, index);
  }
  // Only now that no index names them: a superseded referrer is deleted after the index moved on.
  // Best effort: an unlisted referrer is invisible to cosign and to verifyImage,
  // and a registry that forbids deletes will not change its mind on a retry.
  for (const digest of superseded) await registry.deleteManifest(repository, digest).catch(() => undefined);
  return statuses;
}

function combine(a: AttachStatus | undefined, b: AttachStatus | undefined): AttachStatus {
  if (a === 'replaced' || b === 'replaced') return 'replaced';
  if (a === 'created' || b === 'created') return 'created';
  return 'existing';
}
