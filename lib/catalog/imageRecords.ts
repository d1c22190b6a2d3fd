/**
 * What was built under each image digest: the subject, the spec and the
 * lock. Written by the build activity; read by test, scan, sign and publish,
 * so every later stage works on exactly what was built even if the
 * definition file changes meanwhile.
 */
import type { Architecture } from '../../domain/platform';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VariantSpec } from '../../domain/catalog/effective';
import { hexOf } from '../../domain/digest';
import type { Customization } from '../../domain/customization/schema';
import type { CatalogImageRef, ImageRef } from '../../domain/image';
import { writeFileAtomicSync } from '../state/files';

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
  constructor(readonly dir: string) {}

  write(record: ImageRecord): void {
    writeFileAtomicSync(path.join(this.dir, `${hexOf(record.digest)}.json`), JSON.stringify(record, null, 2));
  }

  read(digest: string): ImageRecord {
    const file = path.join(this.dir, `${hexOf(digest)}.json`);
    if (!fs.existsSync(file)) throw new Error(`no build record for ${digest} in ${this.dir}: was it built on this machine?`);
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ImageRecord;
  }
}
