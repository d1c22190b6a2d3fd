/**
 * The OCI side shared by the cosign tag layout and the referrer bundles:
 * tag names derived from the image digest, typed reads of manifests and
 * indexes, and blob/manifest writes returning descriptors.
 */
import { z } from 'zod';
import type { RegistryClient } from './registry';
import { hexOf, sha256Digest } from '../../domain/digest';
import type { Descriptor, ImageManifest } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import { TemperedError } from '../../domain/errors';

/** cosign's legacy signature tag: `sha256-<hex>.sig`. */
export const signatureTag = (digest: string) => `sha256-${hexOf(digest)}.sig`;
/** cosign's legacy attestation tag: `sha256-<hex>.att`. */
export const attestationTag = (digest: string) => `sha256-${hexOf(digest)}.att`;
/** OCI 1.1 referrers tag schema (distribution-spec "fallback"): `sha256-<hex>`, an image index of referrers. */
export const referrersTag = (digest: string) => `sha256-${hexOf(digest)}`;

/** OCI's empty JSON blob, the config of artifacts that have none (image-spec manifest.md "Guidance for an Empty Descriptor"). */
export const EMPTY_CONFIG = Buffer.from('{}');
export const EMPTY_CONFIG_DESCRIPTOR: Descriptor = { mediaType: MediaType.ociEmpty, digest: sha256Digest(EMPTY_CONFIG), size: EMPTY_CONFIG.length };

const DescriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
  artifactType: z.string().optional(),
});

const ManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const IndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface FetchedArtifact<T> {
  digest: string;
  mediaType: string;
  size: number;
  value: T;
}

export class ArtifactFormatError extends TemperedError<'ARTIFACT_MALFORMED'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ARTIFACT_MALFORMED', message, options);
  }
}

export async function readManifest(registry: RegistryClient, repository: string, reference: string): Promise<FetchedArtifact<ImageManifest> | undefined> {
  return readTyped(registry, repository, reference, ManifestSchema, 'image manifest') as Promise<FetchedArtifact<ImageManifest> | undefined>;
}

export async function readIndex(registry: RegistryClient, repository: string, reference: string): Promise<FetchedArtifact<ImageIndex> | undefined> {
  return readTyped(registry, repository, reference, IndexSchema, 'image index') as Promise<FetchedArtifact<ImageIndex> | undefined>;
}

async function readTyped<S extends z.ZodType>(registry: RegistryClient, repository: string, reference: string, schema: S, what: string) {
  const fetched = await registry.getManifest(repository, reference);
  if (!fetched) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(fetched.body.toString('utf8'));
  } catch {
    throw new ArtifactFormatError(`${repository}:${reference} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ArtifactFormatError(`${repository}:${reference} is not an OCI ${what}: ${parsed.error.issues[0]?.message}`);
  const mediaType = (parsed.data as { mediaType?: string }).mediaType ?? fetched.mediaType;
  return { digest: fetched.digest, mediaType, size: fetched.body.length, value: parsed.data as unknown };
}

export async function pushBlob(registry: RegistryClient, repository: string, bytes: Buffer, mediaType: string, annotations?: Record<string, string>): Promise<Descriptor> {
  const digest = sha256Digest(bytes);
  await registry.pushBlob(repository, digest, bytes);
  return { mediaType, digest, size: bytes.length, ...(annotations ? { annotations } : {}) };
}

/** Serializes a manifest or index once: its digest is over exactly these bytes. */
export function manifestBytes(manifest: ImageManifest | ImageIndex): Buffer {
  return Buffer.from(JSON.stringify(manifest));
}

export async function putManifest(registry: RegistryClient, repository: string, reference: string, manifest: ImageManifest | ImageIndex): Promise<Descriptor> {
  const bytes = manifestBytes(manifest);
  const digest = await registry.putManifest(repository, reference, bytes, manifest.mediaType);
  return { mediaType: manifest.mediaType, digest, size: bytes.length };
}

/**
 * Blob bytes, digest-checked by the client; undefined when the registry lost
 * the blob or serves bytes that do not match its digest (damaged storage):
 * either way the layer is unusable, which callers report or repair.
 */
export async function readBlob(registry: RegistryClient, repository: string, digest: string): Promise<Buffer | undefined> {
  try {
    return await registry.getBlob(repository, digest);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'REGISTRY_NOT_FOUND' || code === 'REGISTRY_DIGEST_MISMATCH') return undefined;
    throw err;
  }
}
