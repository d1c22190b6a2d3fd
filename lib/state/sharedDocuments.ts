/**
 * What one stage hands to the next (locks, build records, test reports, SBOMs) lives in the registry,
 * so any stage of any cycle can run on any worker: a worker's state directory only caches it and can be
 * deleted at any time (docs/ARCHITECTURE.md, "Where state lives").
 *
 * Each document is an OCI artifact in one repository (`<prefix>/state`): an image manifest with the
 * empty config and the document as its one layer, its artifactType naming the kind, tagged
 * `<kind>-<hex of its key>`. The tag makes it findable from the key the workflow carries and keeps the
 * registry's garbage collection off it; the layer is content-addressed, so what comes back is what was
 * written. Most keys are the digest of the document itself (callers verify: a lock against its
 * canonical digest, a report against its bytes); a build record is keyed by the image it describes.
 *
 * The registry has no compare-and-set, and none is needed. A content-addressed key names one document,
 * so the first writer wins and a second write of it finds the tag and stops. A build record is the one
 * kind that changes under its key: the definition's tests are not in the image, so a retry after a test
 * was fixed builds the same digest with another spec. Each build rewrites it (one image workflow builds
 * a digest at a time), and it is read from the registry every time, never from a cache another worker
 * may have filled before the rewrite.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hexOf, sha256Digest } from '../../domain/digest';
import type { ImageManifest } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import { EMPTY_CONFIG, EMPTY_CONFIG_DESCRIPTOR } from '../oci/artifacts';
import type { RegistryClient } from '../oci/registry';
import { writeFileAtomicSync } from './files';

export const DOCUMENT_KINDS = ['lock', 'custom-lock', 'build', 'test-report', 'sbom'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** The repository documents live in, beside the images of the same prefix. */
export const STATE_REPOSITORY = 'state';

/** Kinds rewritten under the same key (see above): always written, always read from the registry. */
const REWRITTEN: ReadonlySet<DocumentKind> = new Set(['build']);

export const documentMediaType = (kind: DocumentKind) => `application/vnd.tempered.${kind}.v1+json`;
export const documentTag = (kind: DocumentKind, key: string) => `${kind}-${hexOf(key)}`;

export class SharedDocuments {
  /** Tags this process wrote or found, so an unchanged lock saved every cycle costs no request after the first. */
  private readonly known = new Set<string>();
  /** Whether this process has put the empty config into the repository (every document's config). */
  private emptyConfigThere = false;

  constructor(
    readonly registry: RegistryClient,
    readonly repository: string,
    /** Where each kind is cached (the state directory's old homes of locks and build records: an upgraded worker still finds its own). */
    private readonly cacheDirs: Record<DocumentKind, string>,
    /** false: the cache only (`tempered build` and `tempered lock` work on one machine and need no registry). */
    readonly shared = true,
  ) {}

  /** Writes the document into the cache, then into the registry unless it holds that key already. */
  async put(kind: DocumentKind, key: string, document: Buffer | string): Promise<void> {
    const body = Buffer.isBuffer(document) ? document : Buffer.from(document);
    const cached = this.cachedFile(kind, key);
    const rewritten = REWRITTEN.has(kind);
    if (rewritten || !fs.existsSync(cached)) writeFileAtomicSync(cached, body);
    const tag = documentTag(kind, key);
    if (!this.shared || (!rewritten && this.known.has(tag))) return;
    if (rewritten || !(await this.registry.resolve(this.repository, tag))) {
      const layer = { mediaType: documentMediaType(kind), digest: sha256Digest(body), size: body.length };
      await Promise.all([
        this.registry.pushBlob(this.repository, layer.digest, body),
        this.emptyConfigThere || this.registry.pushBlob(this.repository, EMPTY_CONFIG_DESCRIPTOR.digest, EMPTY_CONFIG),
      ]);
      this.emptyConfigThere = true;
      const manifest: ImageManifest & { artifactType: string } = {
        schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType: layer.mediaType, config: EMPTY_CONFIG_DESCRIPTOR, layers: [layer],
      };
      await this.registry.putManifest(this.repository, tag, JSON.stringify(manifest), MediaType.ociManifest);
    }
    this.known.add(tag);
  }

  /** The document from the cache, else from the registry (then cached); undefined when neither has it. */
  async get(kind: DocumentKind, key: string): Promise<Buffer | undefined> {
    const cached = this.cachedFile(kind, key);
    if ((!this.shared || !REWRITTEN.has(kind)) && fs.existsSync(cached)) return fs.readFileSync(cached);
    if (!this.shared) return undefined;
    const fetched = await this.registry.getManifest(this.repository, documentTag(kind, key));
    if (!fetched) return undefined;
    const layer = (JSON.parse(fetched.body.toString('utf8')) as Partial<ImageManifest>).layers?.[0];
    if (!layer || layer.mediaType !== documentMediaType(kind)) {
      throw new Error(`${this.registry.host}/${this.repository}:${documentTag(kind, key)} is not a ${kind} document`);
    }
    const body = await this.registry.getBlob(this.repository, layer.digest);
    writeFileAtomicSync(cached, body);
    this.known.add(documentTag(kind, key));
    return body;
  }

  /** A document whose key is the digest of its bytes (test reports, SBOMs): stored, and its key returned. */
  async putContent(kind: DocumentKind, document: string): Promise<string> {
    const digest = sha256Digest(Buffer.from(document));
    await this.put(kind, digest, document);
    return digest;
  }

  /** A content-addressed document, checked against its key; throws naming the key when it is nowhere. */
  async getContent(kind: DocumentKind, digest: string): Promise<Buffer> {
    const body = await this.get(kind, digest);
    if (!body) throw new Error(`${kind} ${digest} is neither cached nor in ${this.registry.host}/${this.repository}`);
    if (sha256Digest(body) !== digest) throw new Error(`${kind} ${digest} does not match its digest`);
    return body;
  }

  private cachedFile(kind: DocumentKind, key: string): string {
    return path.join(this.cacheDirs[kind], `${hexOf(key)}.json`);
  }
}
