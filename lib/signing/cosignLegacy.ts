/**
 * cosign's tag-based layout, the one cosign v2 reads (and v3 falls back to):
 *
 *   <repo>:sha256-<hex>.sig  an OCI image whose layers are simple-signing
 *                            payloads, each with its base64 DER signature in
 *                            the `dev.cosignproject.cosign/signature` annotation;
 *   <repo>:sha256-<hex>.att  an OCI image whose layers are DSSE envelopes of
 *                            in-toto statements, annotated with `predicateType`.
 *
 * Each tag holds ALL signatures (attestations) of the digest as layers, so
 * writing means read-modify-write of the layer list. Layers we do not own
 * (other keys, other predicate types) are kept as they are. One writer per
 * digest is assumed: the image's workflow id serializes sign activities.
 */
import { sha256Digest } from '../../domain/digest';
import type { Descriptor, ImageManifest } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import { IN_TOTO_PAYLOAD_TYPE, parseStatement } from '../../domain/attest/statement';
import type { RegistryClient } from '../oci/registry';
import { DSSE_ENVELOPE_MEDIA_TYPE, envelopeWithSignature, parseEnvelope, preAuthEncoding, serializeEnvelope, type DsseEnvelope } from './dsse';
import type { PublicKey } from './keys';
import { pushBlob, putManifest, readBlob, readManifest } from '../oci/artifacts';
import type { ReusingSigner } from './signer';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

/** A layer of a `.sig` or `.att` image with its blob (undefined when the registry lost the blob). */
export interface LegacyLayer {
  descriptor: Descriptor;
  blob: Buffer | undefined;
  /** 1-based, in the manifest: what messages name (only some layers may have been read). */
  position: number;
}

export interface LegacyImage {
  tag: string;
  /** Digest of the tag's manifest, undefined when the tag does not exist. */
  manifestDigest: string | undefined;
  layers: LegacyLayer[];
}

/**
 * The simple-signing payload cosign signs for an image
 * (sigstore/sigstore pkg/signature/payload): field order as cosign writes it.
 */
export function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: SIMPLE_SIGNING_TYPE },
      optional: null,
    }),
  );
}

/**
 * What a simple-signing payload vouches for: the image digest and the
 * reference (`docker-reference`) it was signed for; undefined when the
 * payload is not one.
 */
export function parseSimpleSigning(payload: Buffer): { digest: string; reference?: string } | undefined {
  try {
    const json = JSON.parse(payload.toString('utf8')) as {
      critical?: { type?: unknown; image?: { 'docker-manifest-digest'?: unknown }; identity?: { 'docker-reference'?: unknown } };
    };
    const digest = json.critical?.image?.['docker-manifest-digest'];
    if (json.critical?.type !== SIMPLE_SIGNING_TYPE || typeof digest !== 'string') return undefined;
    const reference = json.critical.identity?.['docker-reference'];
    return { digest, ...(typeof reference === 'string' ? { reference } : {}) };
  } catch {
    return undefined;
  }
}

/** `keep`: read only the layers it accepts (one predicate type of an attestation image). */
export async function readLegacyImage(registry: RegistryClient, repository: string, tag: string, keep: (layer: Descriptor) => boolean = () => true): Promise<LegacyImage> {
  const manifest = await readManifest(registry, repository, tag);
  if (!manifest) return { tag, manifestDigest: undefined, layers: [] };
  const read = manifest.value.layers.map((descriptor, i) => ({ descriptor, position: i + 1 })).filter(({ descriptor }) => keep(descriptor));
  const layers: LegacyLayer[] = await Promise.all(read.map(async (layer) => ({ ...layer, blob: await readBlob(registry, repository, layer.descriptor.digest) })));
  return { tag, manifestDigest: manifest.digest, layers };
}

/**
 * The config cosign writes for signature images (go-containerregistry
 * empty.Image + one history entry per layer). Nothing reads it, but tools
 * that list images (crane, skopeo) expect a valid config.
 */
function legacyConfig(layers: Descriptor[]): Buffer {
  const epoch = '0001-01-01T00:00:00Z';
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: epoch,
      history: layers.map(() => ({ created: epoch })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
}

/**
 * Pushes every blob, then the manifest under the tag: the tag never points at missing content. `before`: the
 * image the tag names now, as read: its layers whose blobs were there are not sent again, and the others are
 * new envelopes, sent without asking first.
 */
export async function writeLegacyImage(registry: RegistryClient, repository: string, before: LegacyImage, layers: { descriptor: Descriptor; blob: Buffer }[]): Promise<string> {
  const { tag } = before;
  const present = new Set(before.layers.flatMap((l) => (l.blob ? [l.descriptor.digest] : [])));
  await Promise.all(layers.filter((l) => !present.has(l.descriptor.digest)).map((l) => registry.pushBlob(repository, l.descriptor.digest, l.blob, { fresh: true })));
  const config = await pushBlob(registry, repository, legacyConfig(layers.map((l) => l.descriptor)), MediaType.ociConfig);
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: layers.map((l) => l.descriptor) };
  return (await putManifest(registry, repository, tag, manifest)).digest;
}

/** Indexes of the `.sig` layers that are our signature over exactly `payload`. */
export function ownSignatureLayers(image: LegacyImage, payload: Buffer, key: PublicKey): number[] {
  const want = sha256Digest(payload);
  return image.layers.flatMap((layer, index) => {
    const sig = layer.descriptor.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    const ours = layer.descriptor.digest === want && layer.blob !== undefined && sig !== undefined && key.verify(layer.blob, Buffer.from(sig, 'base64'));
    return ours ? [index] : [];
  });
}

export function signatureLayer(payload: Buffer, signature: Buffer): { descriptor: Descriptor; blob: Buffer } {
  return {
    descriptor: {
      mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
      digest: sha256Digest(payload),
      size: payload.length,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature.toString('base64') },
    },
    blob: payload,
  };
}

/** An `.att` layer as cosign writes it: the envelope, its predicate type, and an empty signature annotation. */
export function attestationLayer(envelope: DsseEnvelope, predicateType: string): { descriptor: Descriptor; blob: Buffer } {
  const blob = serializeEnvelope(envelope);
  return {
    descriptor: {
      mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
      digest: sha256Digest(blob),
      size: blob.length,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: '', [PREDICATE_TYPE_ANNOTATION]: predicateType },
    },
    blob,
  };
}

/** An `.att` layer signed by our key, with what it attests. */
export interface OwnAttestation {
  index: number;
  predicateType: string;
  payloadDigest: string;
  signature: Buffer;
  envelope: DsseEnvelope;
}

/**
 * The `.att` layers that verify with our key. Layers that do not parse or
 * verify are someone else's (or damaged) and are left alone: verifyImage
 * is where damage is reported.
 */
export function ownAttestations(image: LegacyImage, key: PublicKey): OwnAttestation[] {
  const own: OwnAttestation[] = [];
  image.layers.forEach((layer, index) => {
    if (!layer.blob || layer.descriptor.mediaType !== DSSE_ENVELOPE_MEDIA_TYPE) return;
    let envelope: DsseEnvelope;
    try {
      envelope = parseEnvelope(layer.blob);
    } catch {
      return;
    }
    if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return;
    const pae = preAuthEncoding(envelope.payloadType, envelope.payload);
    const signature = envelope.signatures.find((s) => key.verify(pae, s.sig))?.sig;
    if (!signature) return;
    try {
      const statement = parseStatement(envelope.payload);
      own.push({ index, predicateType: statement.predicateType, payloadDigest: sha256Digest(envelope.payload), signature, envelope });
    } catch {
      // Signed by us but not a statement we can read: not ours to manage.
    }
  });
  return own;
}

export type AttachStatus = 'created' | 'existing' | 'replaced';

export interface AttestationPlan {
  layers: { descriptor: Descriptor; blob: Buffer }[];
  statuses: Map<string, AttachStatus>;
  changed: boolean;
}

/**
 * The `.att` layer list after attaching `statements`: per predicate type,
 * our layer with the same statement is kept (`existing`), our layer with an
 * older statement is replaced in place (`replaced`), otherwise one is
 * appended (`created`). Extra layers of ours for the same type are dropped,
 * so there is exactly one per type. Everything else is kept in order.
 */
export function planAttestations(
  image: LegacyImage,
  own: readonly OwnAttestation[],
  statements: readonly { predicateType: string; bytes: Buffer }[],
  signer: ReusingSigner,
): AttestationPlan {
  const statuses = new Map<string, AttachStatus>();
  const slots: ({ descriptor: Descriptor; blob: Buffer } | undefined)[] = image.layers.map((l) => (l.blob ? { descriptor: l.descriptor, blob: l.blob } : undefined));
  let changed = image.layers.some((l) => !l.blob);
  const appended: { descriptor: Descriptor; blob: Buffer }[] = [];
  for (const { predicateType, bytes } of statements) {
    const mine = own.filter((o) => o.predicateType === predicateType);
    const same = mine.find((o) => o.payloadDigest === sha256Digest(bytes));
    const keep = same ?? mine[0];
    for (const extra of mine) {
      if (extra !== keep) {
        slots[extra.index] = undefined;
        changed = true;
      }
    }
    if (same) {
      statuses.set(predicateType, 'existing');
      continue;
    }
    const signature = signer.signBytes(preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, bytes));
    const layer = attestationLayer(envelopeWithSignature(IN_TOTO_PAYLOAD_TYPE, bytes, signature), predicateType);
    changed = true;
    if (keep) {
      slots[keep.index] = layer;
      statuses.set(predicateType, 'replaced');
    } else {
      appended.push(layer);
      statuses.set(predicateType, 'created');
    }
  }
  const layers = [...slots.filter((s): s is { descriptor: Descriptor; blob: Buffer } => s !== undefined), ...appended];
  return { layers, statuses, changed };
}
