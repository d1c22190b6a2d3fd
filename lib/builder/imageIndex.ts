/**
 * The `assembleIndex` stage: the OCI image index of a catalog image from its
 * platform manifests, each already built and pushed by digest by the build
 * worker of its architecture. The manifests are read back from the registry
 * (the build may have run on another machine), the index is written with
 * fixed bytes (domain/oci/imageIndex.ts) and pushed by digest, untagged.
 * Idempotent: the same platform manifests give the same index, and a push
 * the registry already has is skipped.
 *
 * The index carries no lock digest: each platform manifest names its own
 * variant's lock, and a change elsewhere in the lock (the dev variant, the
 * other architecture's dev packages) must not move an index whose platform
 * images did not change.
 */
import type { AssembleIndexInput, AssembleIndexResult } from '../../activities/types';
import { Annotation } from '../../domain/oci/image';
import { imageIndexJson, type PlatformManifest } from '../../domain/oci/imageIndex';
import { MediaType } from '../../domain/oci/mediaTypes';
import { catalogSubject } from '../catalog/subjects';
import type { ActivityContext } from '../context';
import type { Progress } from '../progress';
import { standardLabels } from './image';

export async function assembleImageIndex(ctx: ActivityContext, input: AssembleIndexInput, progress: Progress): Promise<AssembleIndexResult> {
  const subject = catalogSubject(ctx.config, input.image);
  const { repository } = subject;
  progress(`reading ${input.platforms.length} platform manifests from ${ctx.registry.host}/${repository}`);
  const manifests = await Promise.all(
    input.platforms.map(async ({ architecture, digest }): Promise<PlatformManifest & { created?: string }> => {
      const fetched = await ctx.registry.getManifest(repository, digest);
      if (!fetched) throw new Error(`${ctx.registry.host}/${repository}@${digest} (${architecture}) is not in the registry: its build pushes it`);
      const body = JSON.parse(fetched.body.toString('utf8')) as { mediaType?: string; annotations?: Record<string, string> };
      const created = body.annotations?.[Annotation.created];
      return { architecture, descriptor: { mediaType: body.mediaType ?? MediaType.ociManifest, digest, size: fetched.body.length }, ...(created ? { created } : {}) };
    }),
  );
  // The newest of the platforms' creation times (each is its lock's SOURCE_DATE_EPOCH): fixed by the manifests.
  const created = manifests.map((m) => m.created).filter((c): c is string => c !== undefined).sort().at(-1);
  const bytes = imageIndexJson(manifests, {
    ...standardLabels(subject.spec),
    ...subject.spec.annotations,
    [Annotation.variant]: subject.image.variant,
    ...(created ? { [Annotation.created]: created } : {}),
  });
  const index = ctx.blobs.put(bytes);
  await ctx.records.write({
    image: input.image, digest: index.digest, spec: subject.spec, lockDigest: input.lockDigest,
    repository, tag: subject.tag, builtAt: new Date().toISOString(), platforms: input.platforms,
  });
  if (!(await ctx.registry.resolve(repository, index.digest))) {
    progress(`pushing the index ${index.digest} (${input.platforms.map((p) => p.architecture).join(', ')}) untagged`);
    await ctx.registry.putManifest(repository, index.digest, bytes, MediaType.ociIndex);
  }
  return { digest: index.digest, size: index.size };
}
