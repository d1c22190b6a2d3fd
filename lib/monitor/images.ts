/**
 * The images the monitor (and `tempered impact`) judges: every running image
 * workflow, with the packages of the image it last published, read from that
 * image's own dpkg metadata. Not from the lock: what a scanner sees in the
 * published image is what must be patched.
 *
 * A customization also gets `ownPackages`: what it adds on top of the base
 * image it was built on. A fix to a base package reaches it through the
 * base's cascade (rebuild the base, then every customization on the new
 * base); signalling the customization directly would rebuild it on the old
 * base, for nothing.
 */
import type { Client } from '@temporalio/client';
import { packagesOfImage, repositoryOfReference } from '../../client/imageContents';
import { allImageStatuses } from '../../client/status';
import type { InstalledPackage } from '../../domain/debian/status';
import { advisoryKey } from '../../domain/advisory/record';
import { releaseOfPackages, type Release } from '../../domain/debian/releases';
import { type ImageRef, withRelease } from '../../domain/image';
import type { ActivityContext } from '../context';
import type { MonitorProblem } from './feeds';

export interface SurveyedImage {
  workflowId: string;
  image: ImageRef;
  digest: string;
  reference: string;
  /** Everything installed in the published image. */
  packages: InstalledPackage[];
  /** What the monitor matches: all packages for a catalog image; for a customization, those its base does not have. */
  ownPackages: InstalledPackage[];
  /** The Debian release of its packages (a catalog image's own; a customization's base's), when known. */
  release?: Release;
  /** advisoryKeys the workflow holds in `waiting`, and when its last cycle finished: whether a nudge was acted on. */
  waiting: string[];
  lastCycleFinishedAt?: string;
}

export interface ImageSurvey {
  running: number;
  images: SurveyedImage[];
  /** Workflow ids of images with nothing published yet: their first cycle takes the newest of everything anyway. */
  unpublished: string[];
  problems: MonitorProblem[];
}

export async function surveyImages(client: Client, ctx: ActivityContext, onImage?: (index: number, total: number, workflowId: string) => void): Promise<ImageSurvey> {
  const statuses = await allImageStatuses(client);
  const survey: ImageSurvey = { running: statuses.length, images: [], unpublished: [], problems: [] };
  for (const [index, status] of statuses.entries()) {
    const published = status.state?.published;
    if (!status.state || !published) {
      survey.unpublished.push(status.workflowId);
      continue;
    }
    onImage?.(index, statuses.length, status.workflowId);
    const repository = repositoryOfReference(published.reference, ctx.config.registry.host);
    try {
      const packages = await packagesOfImage(ctx, repository, published.digest);
      const base = status.state.image.kind === 'custom' && published.baseDigest ? await packagesOfImage(ctx, repository, published.baseDigest) : undefined;
      const image = withRelease(status.state.image);
      const release = image.kind === 'catalog' ? image.release : releaseOfPackages(packages);
      survey.images.push({
        workflowId: status.workflowId,
        image,
        ...(release ? { release } : {}),
        digest: published.digest,
        reference: published.reference,
        packages,
        ownPackages: base ? packagesNotIn(packages, base) : packages,
        waiting: status.state.waiting.map((w) => advisoryKey(w.advisory)),
        ...lastFinished(status.state.cycles),
      });
    } catch (error) {
      // The registry may be down or the digest gone: this image waits for the next attempt, the others go on.
      survey.problems.push({ where: status.workflowId, problem: `cannot read the packages of ${published.reference}@${published.digest}: ${(error as Error).message}`, retryable: true });
    }
  }
  return survey;
}

function lastFinished(cycles: readonly { finishedAt?: string }[]): { lastCycleFinishedAt?: string } {
  const finishedAt = cycles.at(-1)?.finishedAt;
  return finishedAt ? { lastCycleFinishedAt: finishedAt } : {};
}

/** Packages of `image` that `base` does not have at the same version and architecture. */
export function packagesNotIn(image: readonly InstalledPackage[], base: readonly InstalledPackage[]): InstalledPackage[] {
  const inBase = new Set(base.map(identity));
  return image.filter((pkg) => !inBase.has(identity(pkg)));
}

const identity = (pkg: InstalledPackage) => `${pkg.name}\u0000${pkg.architecture}\u0000${pkg.version}`;
