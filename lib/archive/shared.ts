/**
 * One loaded archive per release and architectures, per worker process, at
 * a time. Parsing a release's indexes costs seconds and hundreds of MB; after an advisory storm a dozen
 * image workflows resolve at once, and they must share one load rather than
 * each parse their own. A load is reused while the archive has not changed:
 * every caller first re-reads the signed InRelease files (cheap) and compares
 * them with those the load was made from, so a fix published a moment ago is
 * never hidden by the cache. A changed archive is loaded again from the
 * Packages files that changed; the others stay parsed (MergedPackageIndex). Callers arriving while a load or a check is in
 * flight share it (single flight).
 */
import type { Config } from '../../domain/config';
import { type LoadedArchive, loadArchive } from './fetch';
import { fetchVerifiedRelease } from './inRelease';
import type { Release } from '../../domain/debian/releases';
import type { Architecture } from '../../domain/platform';
import { type ArchiveSource, forRelease, resolveArchiveSources } from './sources';

interface Current {
  key: string;
  load: Promise<LoadedArchive>;
  check?: Promise<LoadedArchive>;
}
/** By scope (`trixie amd64,arm64`): the latest load of each. */
const current = new Map<string, Current>();

/** Which part of the archive: one release's suites, for these architectures. */
export interface ArchiveScope {
  release: Release;
  architectures: readonly Architecture[];
}

/** What callers that name no scope read (the tests' fixed archives, which serve bookworm). */
export const DEFAULT_SCOPE: ArchiveScope = { release: 'bookworm', architectures: ['amd64'] };

/** TEMPERED_ARCHIVE when set, else the machine's apt sources; narrowed to the scope's release and architectures. */
export async function configuredArchiveSources(config: Pick<Config, 'archive'>, scope: ArchiveScope = DEFAULT_SCOPE): Promise<ArchiveSource[]> {
  const sources = await resolveArchiveSources({ env: config.archive ? { TEMPERED_ARCHIVE: config.archive } : {}, codename: scope.release });
  return forRelease(sources, scope.release, scope.architectures, config.archive ? 'TEMPERED_ARCHIVE' : '/etc/apt');
}

export async function sharedArchive(config: Pick<Config, 'archive' | 'archiveCache'>, scope: ArchiveScope): Promise<LoadedArchive> {
  const sources = await configuredArchiveSources(config, scope);
  const slot = `${scope.release} ${[...scope.architectures].sort().join(',')}`;
  const key = JSON.stringify([config.archiveCache, sources]);
  const entry = current.get(slot);
  if (entry?.key === key) {
    entry.check ??= revalidate(slot, entry, sources, config.archiveCache).finally(() => {
      entry.check = undefined;
    });
    return entry.check;
  }
  return startLoad(slot, key, sources, config.archiveCache).load;
}

function startLoad(slot: string, key: string, sources: ArchiveSource[], cacheDir: string, reuse?: LoadedArchive): Current {
  const entry: Current = { key, load: loadArchive(sources, { cacheDir, ...(reuse ? { reuse } : {}) }) };
  current.set(slot, entry);
  entry.load.catch(() => {
    if (current.get(slot) === entry) current.delete(slot);
  });
  return entry;
}

async function revalidate(slot: string, entry: Current, sources: ArchiveSource[], cacheDir: string): Promise<LoadedArchive> {
  const loaded = await entry.load.catch(() => undefined);
  if (loaded && (await unchanged(loaded, sources))) return loaded;
  // Only the Packages files the changed InRelease lists anew are downloaded (by hash) and parsed.
  return startLoad(slot, entry.key, sources, cacheDir, loaded).load;
}

/** True when every suite's verified InRelease is byte-identical to the one the load was made from. */
async function unchanged(loaded: LoadedArchive, sources: ArchiveSource[]): Promise<boolean> {
  const now = new Date();
  const fresh = await Promise.all(
    sources.flatMap((source) => source.suites.map((suite) => fetchVerifiedRelease(source.uri, suite, source.keyring, now, {}))),
  );
  const before = new Set(loaded.releases.map((r) => r.sha256));
  return fresh.length === before.size && fresh.every((r) => before.has(r.sha256));
}
