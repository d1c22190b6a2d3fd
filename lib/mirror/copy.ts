/**
 * Copies a published image or index to another registry with everything
 * that makes it trustworthy: each manifest of the tree and its blobs, and,
 * for the image and each platform manifest, cosign's `.sig` and `.att` tags
 * and the OCI referrers fallback tag (`sha256-<hex>`) with every bundle
 * referrer it lists. Most copy tools drop these (they are other tags, or
 * referrers), which is why a mirror so often loses its signatures.
 *
 * Digests never change: manifests are put byte for byte, so every signature
 * still covers what it signed. Idempotent: a blob or manifest the
 * destination already has is not sent again. Blobs stream through a
 * temporary file, never wholly in memory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { attestationTag, referrersTag, signatureTag } from '../oci/artifacts';
import type { RegistryClient } from '../oci/registry';

export interface MirrorEnd {
  registry: RegistryClient;
  repository: string;
}

export interface MirrorResult {
  digest: string;
  /** Every manifest copied (image, platforms, signature artifacts), by digest. */
  manifests: number;
  blobsCopied: number;
  blobsPresent: number;
  /** The signature tags found and copied (`sha256-<hex>.sig`, `.att`, `sha256-<hex>`). */
  signatureTags: string[];
  /** Digests of the platform manifests of an index. */
  platforms: string[];
}

interface Manifest {
  mediaType?: string;
  config?: { digest: string };
  layers?: { digest: string; size: number }[];
  manifests?: { digest: string }[];
}

export async function mirrorImage(from: MirrorEnd, to: MirrorEnd, reference: string, progress: (step: string) => void = () => undefined): Promise<MirrorResult> {
  const digest = await from.registry.resolve(from.repository, reference);
  if (!digest) throw new Error(`${from.registry.host}/${from.repository}:${reference} does not exist`);
  const result: MirrorResult = { digest, manifests: 0, blobsCopied: 0, blobsPresent: 0, signatureTags: [], platforms: [] };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-mirror-'));
  try {
    const copy = new TreeCopy(from, to, work, result, progress);
    const top = await copy.tree(digest);
    result.platforms = top.manifests?.map((m) => m.digest) ?? [];
    // Signature artifacts of the image and of each platform manifest, then the tag: a consumer who sees the
    // tag at the destination finds it signed.
    for (const subject of [digest, ...result.platforms]) {
      for (const tag of [signatureTag(subject), attestationTag(subject), referrersTag(subject)]) {
        const artifact = await from.registry.getManifest(from.repository, tag);
        if (!artifact) continue;
        progress(`copying ${tag}`);
        await copy.tree(artifact.digest);
        await to.registry.putManifest(to.repository, tag, artifact.body, mediaTypeOf(artifact.body, artifact.mediaType));
        result.signatureTags.push(tag);
      }
    }
    if (!reference.startsWith('sha256:')) {
      const body = (await from.registry.getManifest(from.repository, digest))?.body as Buffer;
      progress(`tagging ${to.repository}:${reference}`);
      await to.registry.putManifest(to.repository, reference, body, mediaTypeOf(body, ''));
    }
    return result;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

class TreeCopy {
  private readonly done = new Set<string>();

  constructor(
    private readonly from: MirrorEnd,
    private readonly to: MirrorEnd,
    private readonly work: string,
    private readonly result: MirrorResult,
    private readonly progress: (step: string) => void,
  ) {}

  /** Copies the manifest `digest`, its children and its blobs (children and blobs first); returns it parsed. */
  async tree(digest: string): Promise<Manifest> {
    const fetched = await this.from.registry.getManifest(this.from.repository, digest);
    if (!fetched) throw new Error(`${this.from.registry.host}/${this.from.repository}@${digest} is listed but does not exist`);
    const manifest = JSON.parse(fetched.body.toString('utf8')) as Manifest;
    if (this.done.has(digest)) return manifest;
    for (const child of manifest.manifests ?? []) await this.tree(child.digest);
    for (const blob of [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])]) await this.blob(blob.digest);
    if (!(await this.to.registry.resolve(this.to.repository, digest))) {
      await this.to.registry.putManifest(this.to.repository, digest, fetched.body, mediaTypeOf(fetched.body, fetched.mediaType));
    }
    this.done.add(digest);
    this.result.manifests++;
    return manifest;
  }

  private async blob(digest: string): Promise<void> {
    if (this.done.has(digest)) return;
    this.done.add(digest);
    if (await this.to.registry.hasBlob(this.to.repository, digest)) {
      this.result.blobsPresent++;
      return;
    }
    this.progress(`copying blob ${digest.slice(0, 19)}`);
    const file = path.join(this.work, digest.replace(':', '-'));
    await pipeline(await this.from.registry.getBlobStream(this.from.repository, digest), fs.createWriteStream(file));
    await this.to.registry.pushBlob(this.to.repository, digest, { path: file, size: fs.statSync(file).size });
    fs.rmSync(file);
    this.result.blobsCopied++;
  }
}

/** A manifest says its own media type; the registry's Content-Type is the fallback. */
function mediaTypeOf(body: Buffer, given: string): string {
  try {
    const own = (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType;
    if (own) return own;
  } catch {
    // not JSON: use what the registry said
  }
  return given.split(';')[0]?.trim() || 'application/vnd.oci.image.manifest.v1+json';
}
