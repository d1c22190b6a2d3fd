/**
 * Sigstore bundles v0.3 as OCI referrers, the layout cosign v3 reads first.
 *
 * Each signature/attestation is one DSSE bundle (built by @sigstore/sign's
 * DSSEBundleBuilder with our key: public-key hint, no tlog entry, no
 * timestamp) stored as the single layer of an artifact manifest whose
 * `subject` is the image, exactly as cosign v3 writes them
 * (cosign pkg/oci/remote/write.go WriteAttestationNewBundleFormat):
 *
 *   artifactType  application/vnd.dev.sigstore.bundle.v0.3+json
 *   config        the OCI empty descriptor ({})
 *   layers[0]     the bundle JSON, same media type
 *   annotations   dev.sigstore.bundle.content=dsse-envelope,
 *                 dev.sigstore.bundle.predicateType=<type>
 *
 * The image signature is a bundle too: cosign v3 only accepts DSSE bundles
 * in `cosign verify` ("bundle does not contain a DSSE envelope" otherwise),
 * and @sigstore/sign's MessageSignatureBundleBuilder emits v0.2 bundles,
 * which cosign v3 skips as "too old". So it is what `cosign sign` v3 itself
 * writes: a statement with predicateType https://sigstore.dev/cosign/sign/v1.
 *
 * Registries without the referrers API (Debian's distribution 2.8) are
 * found through the fallback tag `sha256-<hex>`, an index listing the
 * referrer manifests; attach.ts maintains it.
 */
import { BUNDLE_V03_MEDIA_TYPE, bundleFromJSON, bundleToJSON, type Bundle } from '@sigstore/bundle';
import { DSSEBundleBuilder } from '@sigstore/sign';
import { toSignedEntity, Verifier, type TrustMaterial } from '@sigstore/verify';
import { sha256Digest } from '../../domain/digest';
import { IN_TOTO_PAYLOAD_TYPE } from '../../domain/attest/statement';
import type { Descriptor, ImageManifest } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import type { RegistryClient } from '../oci/registry';
import type { PublicKey } from './keys';
import { EMPTY_CONFIG_DESCRIPTOR, readBlob, readIndex, readManifest, referrersTag, type FetchedArtifact, type ImageIndex } from '../oci/artifacts';
import type { ReusingSigner } from './signer';
import { TemperedError } from '../../domain/errors';

export const BUNDLE_MEDIA_TYPE = BUNDLE_V03_MEDIA_TYPE;
export const BUNDLE_PREDICATE_TYPE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
export const BUNDLE_CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';

/** A DSSE bundle over `statement`, serialized as the protobuf-specs JSON cosign and sigstore-go read. */
export async function buildStatementBundle(statement: Buffer, signer: ReusingSigner): Promise<Buffer> {
  const bundle = await new DSSEBundleBuilder({ signer, witnesses: [] }).create({ data: statement, type: IN_TOTO_PAYLOAD_TYPE });
  // DSSEBundleBuilder copies the key hint into the envelope's keyid. sigstore-go
  // (go-securesystemslib) skips a signature whose keyid is not its own SSH-style
  // fingerprint of the key, so cosign would reject it; cosign v3 leaves keyid empty.
  bundle.content.dsseEnvelope.signatures = bundle.content.dsseEnvelope.signatures.map((s) => ({ ...s, keyid: '' }));
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

export class BundleVerificationError extends TemperedError<'BUNDLE_MALFORMED' | 'BUNDLE_SIGNATURE'> {
  constructor(
    code: 'BUNDLE_MALFORMED' | 'BUNDLE_SIGNATURE',
    message: string,
    /** The key hint the bundle names: lets a caller say "signed by another key". */
    readonly hint?: string,
  ) {
    super(code, message);
  }
}

/** What a verified bundle signed. */
export interface VerifiedBundle {
  payloadType: string;
  payload: Buffer;
  signature: Buffer;
  hint: string;
}

/**
 * Verifies a bundle with @sigstore/verify against our public key only:
 * thresholds 0 because key-signed bundles carry no tlog entry, SCT or
 * timestamp (the top-level sigstore.verify demands a timestamp). Throws
 * BundleVerificationError naming the problem.
 */
export function verifyStatementBundle(bytes: Buffer, key: PublicKey): VerifiedBundle {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    throw new BundleVerificationError('BUNDLE_MALFORMED', `not a sigstore bundle (${(err as Error).message})`);
  }
  const hint = bundle.verificationMaterial?.content?.$case === 'publicKey' ? bundle.verificationMaterial.content.publicKey.hint : '';
  if (bundle.mediaType !== BUNDLE_MEDIA_TYPE) throw new BundleVerificationError('BUNDLE_MALFORMED', `bundle media type is ${bundle.mediaType}, expected ${BUNDLE_MEDIA_TYPE}`, hint);
  if (bundle.content?.$case !== 'dsseEnvelope') throw new BundleVerificationError('BUNDLE_MALFORMED', 'bundle does not hold a DSSE envelope', hint);
  if (bundle.verificationMaterial?.content?.$case !== 'publicKey') {
    throw new BundleVerificationError('BUNDLE_MALFORMED', 'bundle is not signed with a public key (certificate bundles are not tempered\'s)', hint);
  }
  const trust: TrustMaterial = {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    // The hint is unauthenticated: whatever it says, only our key is tried.
    publicKey: () => ({ publicKey: key.keyObject, validFor: () => true }),
  };
  try {
    new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
  } catch (err) {
    throw new BundleVerificationError('BUNDLE_SIGNATURE', `bundle signature does not verify with key ${key.fingerprint} (${(err as Error).message})`, hint);
  }
  const envelope = bundle.content.dsseEnvelope;
  const signature = envelope.signatures[0]?.sig ?? Buffer.alloc(0);
  return { payloadType: envelope.payloadType, payload: Buffer.from(envelope.payload), signature: Buffer.from(signature), hint };
}

/** The artifact manifest that attaches a bundle to the image. */
export function bundleReferrerManifest(subject: Descriptor, bundleLayer: Descriptor, predicateType: string): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: BUNDLE_MEDIA_TYPE,
    config: EMPTY_CONFIG_DESCRIPTOR,
    layers: [bundleLayer],
    subject,
    annotations: { [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope', [BUNDLE_PREDICATE_TYPE_ANNOTATION]: predicateType },
  };
}

/** The index entry for a referrer: artifactType and annotations copied up, as the referrers API reports them. */
export function referrerDescriptor(manifest: ImageManifest, pushed: Descriptor): Descriptor {
  return {
    mediaType: manifest.mediaType,
    digest: pushed.digest,
    size: pushed.size,
    ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
  };
}

/** A bundle referrer listed in the fallback index, fetched. */
export interface BundleReferrer {
  /** The entry in the fallback index. */
  entry: Descriptor;
  manifest: ImageManifest;
  bundle: Buffer | undefined;
}

export interface Referrers {
  tag: string;
  index: FetchedArtifact<ImageIndex> | undefined;
  bundles: BundleReferrer[];
  /** Index entries whose manifest is gone: never keep pointing at them. */
  dangling: Descriptor[];
}

/** Reads the fallback index of `digest` and every sigstore bundle it lists. */
export async function readReferrers(registry: RegistryClient, repository: string, digest: string): Promise<Referrers> {
  const tag = referrersTag(digest);
  const index = await readIndex(registry, repository, tag);
  const bundles: BundleReferrer[] = [];
  const dangling: Descriptor[] = [];
  for (const entry of index?.value.manifests ?? []) {
    if (entry.artifactType !== undefined && entry.artifactType !== BUNDLE_MEDIA_TYPE) continue;
    const manifest = await readManifest(registry, repository, entry.digest);
    if (!manifest) {
      dangling.push(entry);
      continue;
    }
    const artifactType = manifest.value.artifactType ?? manifest.value.config.mediaType;
    const layer = manifest.value.layers[0];
    if (artifactType !== BUNDLE_MEDIA_TYPE && !layer?.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) continue;
    const bundle = layer && manifest.value.layers.length === 1 ? await readBlob(registry, repository, layer.digest) : undefined;
    bundles.push({ entry, manifest: manifest.value, bundle });
  }
  return { tag, index, bundles, dangling };
}

export const bundleLayerDescriptor = (bundle: Buffer): Descriptor => ({ mediaType: BUNDLE_MEDIA_TYPE, digest: sha256Digest(bundle), size: bundle.length });
