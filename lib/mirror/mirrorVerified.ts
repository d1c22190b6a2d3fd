/**
 * A mirror copy that is checked before it counts: copies the image (with
 * its signatures, lib/mirror/copy.ts), then verifies the image and each
 * platform manifest at the destination with the public key, as `tempered
 * verify` does. Signatures name the source repository; the copy may live
 * under another name, so that name is what the checks expect.
 */
import { isSignatureTag } from '../../domain/tags/retention';
import { VerificationError } from '../signing/errors';
import { verifyImage } from '../signing/verify';
import { type MirrorEnd, mirrorImage } from './copy';

export interface MirroredImage {
  tag: string;
  digest: string;
  manifests: number;
  blobsCopied: number;
  signatureTags: number;
  /** Digests verified at the destination: the image, then each platform manifest. */
  verified: string[];
}

export class MirrorVerificationError extends Error {
  constructor(readonly tag: string, readonly digest: string, override readonly cause: VerificationError) {
    super(`the copy of ${tag} (${digest}) does not verify at the destination (${cause.code}): ${cause.message}`);
    this.name = 'MirrorVerificationError';
  }
}

export async function mirrorVerified(from: MirrorEnd, to: MirrorEnd, tag: string, publicKeyPem: Buffer | string, progress: (step: string) => void = () => undefined): Promise<MirroredImage> {
  const copied = await mirrorImage(from, to, tag, progress);
  const verified: string[] = [];
  for (const digest of [copied.digest, ...copied.platforms]) {
    progress(`verifying ${digest.slice(0, 19)} at ${to.registry.host}/${to.repository}`);
    try {
      await verifyImage({ registry: to.registry, repository: to.repository, reference: digest, publicKeyPem, signedRepository: from.repository });
    } catch (err) {
      if (err instanceof VerificationError) throw new MirrorVerificationError(tag, digest, err);
      throw err;
    }
    verified.push(digest);
  }
  return { tag, digest: copied.digest, manifests: copied.manifests, blobsCopied: copied.blobsCopied, signatureTags: copied.signatureTags.length, verified };
}

/** Every image tag of a repository, signature artifacts left out (they travel with their image). */
export async function imageTags(end: MirrorEnd): Promise<string[]> {
  return (await end.registry.listTags(end.repository)).filter((t) => !isSignatureTag(t)).sort();
}
