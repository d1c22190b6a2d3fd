/**
 * The installed packages of a published image, read from the image's own
 * dpkg metadata (the same data its SBOM is made from), pulled from the
 * registry when this machine does not have it, and cached by digest: a digest
 * never changes content.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ActivityContext } from '../lib/context';
import { pullByDigest } from '../lib/oci/push';
import { imagePackages } from '../lib/sbom/imageSbom';
import { hexOf } from '../domain/digest';
import type { InstalledPackage } from '../domain/debian/status';
import { splitReference } from '../domain/image';

export async function packagesOfImage(ctx: ActivityContext, repository: string, digest: string): Promise<InstalledPackage[]> {
  const cache = path.join(ctx.paths.images, 'packages', `${hexOf(digest)}.json`);
  if (fs.existsSync(cache)) return JSON.parse(fs.readFileSync(cache, 'utf8')) as InstalledPackage[];
  await pullByDigest(ctx.registry, repository, ctx.blobs, digest);
  // An image index: every platform's packages (an `all` package every platform installs, once).
  const index = ctx.blobs.readJson<{ manifests?: { digest: string }[] }>(digest).manifests;
  const found = await Promise.all((index?.map((m) => m.digest) ?? [digest]).map((d) => imagePackages(ctx.blobs, d)));
  const packages = [...new Map(found.flatMap((f) => f.packages).map((p) => [`${p.name}:${p.architecture}=${p.version}`, p])).values()];
  fs.mkdirSync(path.dirname(cache), { recursive: true });
  fs.writeFileSync(cache, JSON.stringify(packages));
  return packages;
}

/** Repository part of a published reference `host/repo:tag`. */
export function repositoryOfReference(reference: string, host: string): string {
  return splitReference(reference.slice(host.length + 1)).repository;
}
