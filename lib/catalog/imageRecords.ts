/**
 * What was built under each image digest: the subject, the spec and the
 * lock. Written by the build activity; read by test, scan, sign and publish,
 * so every later stage works on exactly what was built even if the
 * definition file changes meanwhile. Shared through the registry (the `build`
 * documents of lib/state/sharedDocuments.ts), so those stages can run on
 * another worker than the build.
 */
import type { Architecture } from '../../domain/platform';
import type { VariantSpec } from '../../domain/catalog/effective';
import type { Customization } from '../../domain/customization/schema';
import type { CatalogImageRef, ImageRef } from '../../domain/image';
import type { SharedDocuments } from '../state/sharedDocuments';

export interface ImageRecord {
  image: ImageRef;
  /** The platform image's architecture; absent in records from before architectures (amd64). */
  architecture?: Architecture;
  digest: string;
  /** For a customization: the base's variant spec merged with it, which its image tests run from. */
  spec: VariantSpec;
  /** An image lock, or for a customization a customization lock (locks/custom). */
  lockDigest: string;
  repository: string;
  tag: string;
  baseDigest?: string;
  builtAt: string;
  /** An image index: its platform manifests (each has its own record). */
  platforms?: { architecture: Architecture; digest: string }[];
  /** Customizations: what was built on which base, as provenance records it. */
  custom?: {
    customization: Customization;
    base: { image: CatalogImageRef; repository: string; tag: string; name: string; digest: string };
  };
}

export class ImageRecords {
  constructor(private readonly documents: SharedDocuments) {}

  /** Before the image is pushed: whatever can name the digest finds its record. Each build of the digest rewrites it. */
  async write(record: ImageRecord): Promise<void> {
    await this.documents.put('build', record.digest, JSON.stringify(record, null, 2));
  }

  async read(digest: string): Promise<ImageRecord> {
    const body = await this.documents.get('build', digest);
    if (!body) throw new Error(`no build record for ${digest} in the cache or ${this.documents.registry.host}/${this.documents.repository}: was it built by tempered?`);
    const record = JSON.parse(body.toString('utf8')) as ImageRecord;
    if (record.digest !== digest) throw new Error(`the build record of ${digest} names ${record.digest}`);
    return record;
  }
}
