/**
 * `resolveLock` for a customization: the exact extra packages of its next
 * build, on top of the exact base digest it will be built on.
 *
 * This is also where a customization is checked against its base (accounts,
 * variant policy, tag) and its packages against the archive: every problem
 * is a non-retryable InvalidDefinition naming file, field and problem,
 * raised before anything is built.
 *
 * `locked` keeps the previous lock while its .debs can be had and it still
 * fits the base (a patched base can make an `=` dependency stale); `latest`
 * resolves the newest extras. The base's installed packages (read from the
 * base's own dpkg status) count as present, in their installed versions.
 */
import * as fs from 'node:fs';
import { problemsAgainstBase, tagClashes } from '../../domain/customization/checks';
import { customizationBases } from '../../domain/customization/load';
import {
  type CustomLock, customLockChanges, customLockRequest, customLockRequestDigest, lockMisfits, resolveExtras,
} from '../../domain/customization/lock';
import { installedPackages } from '../../domain/debian/installed';
import { PackageIndex } from '../../domain/debian/packages';
import { ResolveError, UnknownPackageError } from '../../domain/debian/resolve';
import type { LockedPackage } from '../../domain/lock';
import { InputError } from '../../domain/schema/errors';
import { fetchDeb, unobtainableDebs } from '../archive/fetch';
import { readDebControl, readDebFile } from '../deb/archive';
import { DEFAULT_ARCHITECTURE } from '../../domain/platform';
import { sharedArchive } from '../archive/shared';
import { checkedReleases, refuseDowngrades } from './downgrades';
import { baseAccounts, baseInstalled, openBaseImage, publishedBaseDigest } from '../builder/custom/baseImage';
import { type CustomSubject, customSubject } from '../catalog/customSubject';
import type { ActivityContext } from '../context';
import type { Progress } from '../progress';
import { mapLimit } from '../process/pool';
import { type CustomLockStore, readCustomLockFile, writeCustomLockFile } from '../locks/customLockStore';
import type { ResolveInput, ResolveResult } from '../../activities/types';

export async function resolveCustomLock(ctx: ActivityContext, input: ResolveInput, progress: Progress): Promise<ResolveResult> {
  const subject = customSubject(ctx.config, input.image);
  const { customization: c, file } = subject.loaded;
  checkTagIsOwn(ctx, subject);

  const baseDigest = input.baseDigest ?? (await publishedBaseDigest(ctx, subject));
  progress(`reading the base image ${baseDigest.slice(0, 19)}`);
  const base = await openBaseImage(ctx, subject, baseDigest);
  const problems = problemsAgainstBase(c, {
    image: c.base.image, variant: c.base.variant, ...baseAccounts(base.filesystem), excluded: subject.base.spec.packages.exclude,
  });
  if (problems.length > 0) throw new InputError(file, problems);
  const installed = baseInstalled(base.filesystem);

  const request = customLockRequest(c, subject.base.spec.packages.exclude);
  const requestDigest = customLockRequestDigest(request);
  const previous = await previousLock(ctx.customLocks, input.previousLockDigest, subject.lockFile);
  const usable = previous?.resolvedFrom === requestDigest ? previous : undefined;

  let lock: CustomLock | undefined;
  let unavailable: string[] = [];
  let misfits: string[] = [];
  let trustedReleases: Record<string, string> | undefined;
  if (input.mode === 'locked' && usable) {
    progress('checking that the locked extra packages can still be fetched and fit the base');
    unavailable = await unobtainableDebs(usable.packages, ctx.config.debCache);
    if (unavailable.length === 0) {
      misfits = lockMisfits(await controlsOf(ctx, usable.packages), installed);
      if (misfits.length === 0) lock = usable;
    }
  }
  if (!lock && c.packages.length === 0) {
    // Nothing to resolve: no need to load (and verify) the archive for an empty package set.
    lock = resolveExtras({ customization: c.name, request, requestDigest, index: new PackageIndex([]), installed, archives: [], previous, now: new Date() });
  }
  if (!lock) {
    const scope = { release: c.base.release, architectures: [DEFAULT_ARCHITECTURE] };
    progress(`loading and verifying the ${scope.release} archive indexes`);
    const archive = await sharedArchive(ctx.config, scope);
    trustedReleases = checkedReleases(archive.releases, input.trustedReleases);
    const { index } = archive;
    const unknown = c.packages.flatMap((name, i) =>
      index.versions(name).length > 0 || index.providers(name).length > 0 || installed.some((p) => p.name === name)
        ? []
        : [{ field: `packages[${i}]`, problem: `no Debian package named "${name}" in ${archive.releases.map((r) => r.suite).join(', ')}` }],
    );
    if (unknown.length > 0) throw new InputError(file, unknown);
    progress('resolving the extra packages on top of the base');
    try {
      lock = resolveExtras({
        customization: c.name, request, requestDigest, index, installed, archives: archivesOf(archive.releases), previous, now: new Date(),
      });
    } catch (err) {
      if (!(err instanceof ResolveError)) throw err;
      const problem = err instanceof UnknownPackageError ? err.message : `cannot be installed on ${base.name}@${baseDigest.slice(0, 19)}: ${err.message}`;
      throw new InputError(file, [{ field: 'packages', problem }]);
    }
    if (previous) refuseDowngrades(`custom:${c.name}`, previous.packages, lock.packages, input.allowDowngrade);
  }
  const lockDigest = await ctx.customLocks.save(lock);
  if (!fs.existsSync(subject.lockFile)) writeCustomLockFile(subject.lockFile, lock);

  const fromBase = Object.fromEntries(installed.map((p) => [p.source, p.sourceVersion]));
  const versions: Record<string, string> = { ...fromBase, ...Object.fromEntries(lock.packages.map((p) => [p.source, p.sourceVersion])) };
  return {
    lockDigest,
    changes: [...customLockChanges(previous, lock), ...misfits.map((m) => `re-resolved: ${m}`)].slice(0, 50),
    unavailable,
    // Advisories for the base's packages are answered too: the customized image carries them.
    sourceVersions: Object.fromEntries(input.sources.filter((s) => versions[s] !== undefined).map((s) => [s, versions[s] as string])),
    packageCount: lock.packages.length,
    baseDigest,
    ...(trustedReleases ? { trustedReleases } : {}),
  };
}

/** Two customizations publishing the same repository:tag would overwrite each other's image. */
function checkTagIsOwn(ctx: ActivityContext, subject: CustomSubject): void {
  const { customization: c, file } = subject.loaded;
  const others = customizationBases(ctx.config.customizationsDir).bases;
  const clashes = tagClashes(c, others);
  if (clashes.length > 0) {
    throw new InputError(file, [{ field: 'tagSuffix', problem: `${subject.repository}:${subject.tag} is also the tag of ${clashes.join(', ')}` }]);
  }
}

async function previousLock(store: CustomLockStore, digest: string | undefined, lockFile: string): Promise<CustomLock | undefined> {
  const lastBuilt = digest ? await store.find(digest) : undefined;
  if (lastBuilt) return lastBuilt;
  return fs.existsSync(lockFile) ? readCustomLockFile(lockFile) : undefined;
}

/** The locked packages' own control data (relations included), from their .debs. */
async function controlsOf(ctx: ActivityContext, packages: readonly LockedPackage[]) {
  const controls = await mapLimit(packages, 4, async (p) => {
    const where = `package ${p.name} ${p.version}`;
    return (await readDebControl(await readDebFile(await fetchDeb(p, ctx.config.debCache), where), where)).control;
  });
  return installedPackages(controls.join('\n'));
}

function archivesOf(releases: readonly { archive: string; suite: string }[]): { uri: string; suites: string[] }[] {
  const suites = new Map<string, string[]>();
  for (const r of releases) suites.set(r.archive, [...(suites.get(r.archive) ?? []), r.suite]);
  return [...suites].map(([uri, list]) => ({ uri, suites: list }));
}
