/**
 * OCI image config and manifest shapes (image-spec v1.1), built with a fixed
 * key order so the same inputs always serialize to the same bytes and so the
 * same digest.
 */
import { MediaType } from './mediaTypes';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ImageConfigInput {
  /** The platform the image runs on (its `architecture`, `os` and `variant`). */
  platform: { os: 'linux'; architecture: string; variant?: string };
  created: string;
  user: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  workdir: string;
  labels: Record<string, string>;
  /** Uncompressed layer digests, bottom first. */
  diffIds: string[];
  history: { created: string; createdBy: string; comment?: string }[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

const sortedRecord = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));

export function imageConfigJson(input: ImageConfigInput): string {
  const config = {
    architecture: input.platform.architecture,
    os: input.platform.os,
    variant: input.platform.variant,
    created: input.created,
    config: {
      User: input.user,
      Env: Object.entries(input.env)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`),
      Entrypoint: input.entrypoint.length > 0 ? input.entrypoint : undefined,
      Cmd: input.cmd.length > 0 ? input.cmd : undefined,
      WorkingDir: input.workdir,
      Labels: sortedRecord(input.labels),
    },
    rootfs: { type: 'layers', diff_ids: input.diffIds },
    history: input.history.map((h) => ({ created: h.created, created_by: h.createdBy, comment: h.comment })),
  };
  return JSON.stringify(config);
}

export function imageManifestJson(config: Descriptor, layers: Descriptor[], annotations: Record<string, string>): string {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers,
    annotations: sortedRecord(annotations),
  };
  return JSON.stringify(manifest);
}

/** Standard annotation keys (image-spec annotations.md). */
export const Annotation = {
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
  description: 'org.opencontainers.image.description',
  version: 'org.opencontainers.image.version',
  source: 'org.opencontainers.image.source',
  vendor: 'org.opencontainers.image.vendor',
  licenses: 'org.opencontainers.image.licenses',
  refName: 'org.opencontainers.image.ref.name',
  baseName: 'org.opencontainers.image.base.name',
  baseDigest: 'org.opencontainers.image.base.digest',
  lockDigest: 'dev.tempered.lock.digest',
  variant: 'dev.tempered.variant',
} as const;

/**
 * Annotations the builder writes from what it built on and from: a
 * definition or customization setting one would lie about the base, the
 * lock or the variant (and tools, tempered's rollback and verify among them,
 * read them). Refused in definitions and customizations.
 */
export const RESERVED_ANNOTATIONS: readonly string[] = [Annotation.created, Annotation.baseName, Annotation.baseDigest, Annotation.lockDigest, Annotation.variant];
