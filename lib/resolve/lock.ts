/**
 * Resolving the exact package set of an image's next build (the `resolveLock`
 * stage; customizations: customLock.ts).
 *
 * `locked` keeps the previous lock (or the one checked in beside the
 * definition) while every .deb in it can still be had, from the deb cache or
 * the archive. `latest` resolves the newest of everything across all suites.
 * A locked entry the archive no longer offers is an upstream change: it is
 * reported by name in `unavailable` and in `changes`, never swapped silently.
 */
import * as fs from 'node:fs';
import { lockRequest, lockRequestDigest } from '../../domain/catalog/lockRequest';
import { packageNameProblems, resolveErrorProblems } from '../../domain/catalog/packageNames';
import { ResolveError } from '../../domain/debian/resolve';
import { type Lock, sourceVersions, variantPackages } from '../../domain/lock';
import { essentialNames, lockChanges, resolveNewLock } from '../../domain/lockResolution';
import { InputError } from '../../domain/schema/errors';
import { unobtainableDebs } from '../archive/fetch';
import { sharedArchive } from '../archive/shared';
import { catalogSubject } from '../catalog/subjects';
import type { ActivityContext } from '../context';
import { resolveCustomLock } from './customLock';
import { checkedReleases, refuseDowngrades } from './downgrades';
import { readLockFile, writeLockFile } from '../locks/lockStore';
import type { ResolveInput, ResolveResult } from '../../activities/types';
import type { Progress } from '../progress';

/** The lock of the image's next build, saved in the lock store; the result names it by digest. */
export async function resolveLock(ctx: ActivityContext, input: ResolveInput, progress: Progress): Promise<ResolveResult> {
  if (input.image.kind === 'custom') return resolveCustomLock(ctx, input, progress);
  const subject = catalogSubject(ctx.config, input.image);
  const variant = subject.image.variant;
  const request = lockRequest(subject.definition);
  const requestDigest = lockRequestDigest(request);
  const previous = previousLock(ctx, input.previousLockDigest, subject.lockFile);
  const usable = previous?.resolvedFrom === requestDigest ? previous : undefined;

  let lock: Lock | undefined;
  let unavailable: string[] = [];
  let trustedReleases: Record<string, string> | undefined;
  if (input.mode === 'locked' && usable) {
    progress('checking that every locked package can still be fetched');
    unavailable = await unobtainableDebs(variantPackages(usable, variant), ctx.config.debCache);
    if (unavailable.length === 0) lock = usable;
  }
  if (!lock) {
    progress('loading and verifying the archive indexes');
    const { index, archives, releases } = await loadIndex(ctx);
    trustedReleases = checkedReleases(releases, input.trustedReleases);
    // Unknown names and unresolvable sets are the definition's problem: non-retryable InvalidDefinition.
    const problems = packageNameProblems(subject.definition, index, archives.flatMap((a) => a.suites));
    if (problems.length > 0) throw new InputError(subject.definitionFile, problems);
    progress('resolving the newest package set');
    try {
      lock = resolveNewLock({
        image: subject.definition.name, index, request, requestDigest, archives,
        essential: essentialNames(index, index.names()), previous, now: new Date(),
      });
    } catch (err) {
      throw err instanceof ResolveError ? new InputError(subject.definitionFile, resolveErrorProblems(err)) : err;
    }
    if (previous) refuseDowngrades(`${subject.image.name}:${variant}`, variantPackages(previous, variant), variantPackages(lock, variant), input.allowDowngrade);
  }
  const lockDigest = ctx.locks.save(lock);
  if (!fs.existsSync(subject.lockFile)) writeLockFile(subject.lockFile, lock);
  const versions = sourceVersions(lock, variant);
  return {
    lockDigest,
    changes: lockChanges(previous, lock, variant).slice(0, 50),
    unavailable,
    sourceVersions: Object.fromEntries(input.sources.filter((s) => versions[s] !== undefined).map((s) => [s, versions[s] as string])),
    packageCount: lock.variants[variant].packages.length,
    ...(trustedReleases ? { trustedReleases } : {}),
  };
}

function previousLock(ctx: ActivityContext, digest: string | undefined, lockFile: string): Lock | undefined {
  if (digest && ctx.locks.has(digest)) return ctx.locks.load(digest);
  return fs.existsSync(lockFile) ? readLockFile(lockFile) : undefined;
}

async function loadIndex(ctx: ActivityContext) {
  const archive = await sharedArchive(ctx.config);
  const suites = new Map<string, string[]>();
  for (const r of archive.releases) suites.set(r.archive, [...(suites.get(r.archive) ?? []), r.suite]);
  return { index: archive.index, archives: [...suites].map(([uri, list]) => ({ uri, suites: list })), releases: archive.releases };
}
