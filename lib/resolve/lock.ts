/**
 * Resolving the exact package set of an image's next build (the `resolveLock`
 * stage; customizations: customLock.ts).
 *
 * `locked` keeps the previous lock (or the one checked in beside the
 * definition) while every .deb in it can still be had, from the deb cache or
 * the archive. `latest` resolves the newest of everything across the
 * release's suites, for each architecture the image is built for.
 * A locked entry the archive no longer offers is an upstream change: it is
 * reported by name in `unavailable` and in `changes`, never swapped silently.
 */
import { lockRequest, lockRequestDigest } from '../../domain/catalog/lockRequest';
import { packageNameProblems, resolveErrorProblems } from '../../domain/catalog/packageNames';
import { ResolveError } from '../../domain/debian/resolve';
import type { Release } from '../../domain/debian/releases';
import { displayName } from '../../domain/imageId';
import { allVariantPackages, type Lock, lockArchitectures, lockPlatform, sourceVersions } from '../../domain/lock';
import type { Architecture } from '../../domain/platform';
import { lockChanges, resolveNewLock } from '../../domain/lockResolution';
import { InputError } from '../../domain/schema/errors';
import { unobtainableDebs } from '../archive/fetch';
import { sharedArchive } from '../archive/shared';
import { catalogSubject } from '../catalog/subjects';
import type { ActivityContext } from '../context';
import { resolveCustomLock } from './customLock';
import { checkedReleases, refuseDowngrades } from './downgrades';
import { readCurrentLockFile, writeLockFile } from '../locks/lockStore';
import type { ResolveInput, ResolveResult } from '../../activities/types';
import type { Progress } from '../progress';

/** The lock of the image's next build, saved in the lock store; the result names it by digest. */
export async function resolveLock(ctx: ActivityContext, input: ResolveInput, progress: Progress): Promise<ResolveResult> {
  if (input.image.kind === 'custom') return resolveCustomLock(ctx, input, progress);
  const subject = catalogSubject(ctx.config, input.image);
  const { variant, release } = subject.image;
  const request = lockRequest(subject.definition, release);
  const requestDigest = lockRequestDigest(request);
  const previous = await previousLock(ctx, input.previousLockDigest, subject.lockFile);
  const usable = previous?.resolvedFrom === requestDigest ? previous : undefined;

  let lock: Lock | undefined;
  let unavailable: string[] = [];
  let trustedReleases: Record<string, string> | undefined;
  if (input.mode === 'locked' && usable) {
    progress('checking that every locked package can still be fetched');
    unavailable = await unobtainableDebs(allVariantPackages(usable, variant), ctx.config.debCache);
    if (unavailable.length === 0) lock = usable;
  }
  if (!lock) {
    progress(`loading and verifying the ${release} archive indexes (${request.architectures.join(', ')})`);
    const loaded = await Promise.all(request.architectures.map((architecture) => loadIndex(ctx, release, architecture)));
    const archives = mergeArchives(loaded.flatMap((l) => l.archives));
    trustedReleases = checkedReleases(loaded.flatMap((l) => l.releases), input.trustedReleases);
    // Unknown names and unresolvable sets are the definition's problem: non-retryable InvalidDefinition.
    const problems = loaded.flatMap((l) => packageNameProblems(subject.definition, release, l.index, l.archives.flatMap((a) => a.suites)));
    if (problems.length > 0) throw new InputError(subject.definitionFile, uniqueProblems(problems));
    progress('resolving the newest package set');
    try {
      lock = resolveNewLock({
        image: subject.definition.name, release, request, requestDigest, archives, previous, now: new Date(),
        platforms: loaded.map(({ architecture, index }) => ({ architecture, index, essential: index.essentialNames() })),
      });
    } catch (err) {
      throw err instanceof ResolveError ? new InputError(subject.definitionFile, resolveErrorProblems(err)) : err;
    }
    if (previous) refuseDowngrades(displayName(subject.image), allVariantPackages(previous, variant), allVariantPackages(lock, variant), input.allowDowngrade);
  }
  const lockDigest = await ctx.locks.save(lock);
  if (!readCurrentLockFile(subject.lockFile)) writeLockFile(subject.lockFile, lock);
  const versions = sourceVersions(lock, variant);
  const architectures = lockArchitectures(lock);
  // What this deployment publishes of them (TEMPERED_ARCHITECTURES): a platform manifest each.
  const published = architectures.filter((a) => ctx.config.architectures.includes(a));
  if (published.length === 0) {
    throw new InputError(subject.definitionFile, [{
      field: 'architectures',
      problem: `${subject.definition.name} is built for ${architectures.join(', ')}; this deployment publishes ${ctx.config.architectures.join(', ')} (TEMPERED_ARCHITECTURES)`,
    }]);
  }
  return {
    lockDigest,
    changes: architectures.flatMap((arch) => lockChanges(previous, lock, variant, arch).map((change) => (architectures.length > 1 ? `${arch}: ${change}` : change))).slice(0, 50),
    unavailable,
    sourceVersions: Object.fromEntries(input.sources.filter((s) => versions[s] !== undefined).map((s) => [s, versions[s] as string])),
    packageCount: Math.max(...architectures.map((arch) => lockPlatform(lock, arch).variants[variant].packages.length)),
    ...(trustedReleases ? { trustedReleases } : {}),
    architectures: published,
  };
}

/**
 * The previous lock: the one the last build used, else the one checked in
 * beside the definition. A lock in an older format (before releases and
 * architectures) is no previous lock: the next one in that order counts.
 */
async function previousLock(ctx: ActivityContext, digest: string | undefined, lockFile: string): Promise<Lock | undefined> {
  const lastBuilt = digest ? await ctx.locks.findCurrent(digest) : undefined;
  return lastBuilt ?? readCurrentLockFile(lockFile);
}

async function loadIndex(ctx: ActivityContext, release: Release, architecture: Architecture) {
  const archive = await sharedArchive(ctx.config, { release, architectures: [architecture] });
  const archives = archive.releases.map((r) => ({ uri: r.archive, suites: [r.suite] }));
  return { architecture, index: archive.index, archives, releases: archive.releases };
}

/** The archives and suites read, one entry per archive. */
function mergeArchives(parts: readonly { uri: string; suites: string[] }[]): { uri: string; suites: string[] }[] {
  const suites = new Map<string, Set<string>>();
  for (const part of parts) for (const suite of part.suites) suites.set(part.uri, (suites.get(part.uri) ?? new Set()).add(suite));
  return [...suites].map(([uri, list]) => ({ uri, suites: [...list] }));
}

function uniqueProblems<T extends { field: string; problem: string }>(problems: readonly T[]): T[] {
  return [...new Map(problems.map((p) => [`${p.field} ${p.problem}`, p])).values()];
}
