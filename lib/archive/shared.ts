/**
 * One loaded archive per worker process at a time. Parsing bookworm's
 * indexes costs seconds and hundreds of MB; after an advisory storm a dozen
 * image workflows resolve at once, and they must share one load rather than
 * each parse their own. A load is reused while the archive has not changed:
 * every caller first re-reads the signed InRelease files (cheap) and compares
 * them with those the load was made from, so a fix published a moment ago is
 * never hidden by the cache. Callers arriving while a load or a check is in
 * flight share it (single flight).
 */
import type { Config } from '../../domain/config';
import { type LoadedArchive, loadArchive } from './fetch';
import { fetchVerifiedRelease } from './inRelease';
import { type ArchiveSource, resolveArchiveSources } from './sources';

interface Current {
  key: string;
  load: Promise<LoadedArchive>;
  check?: Promise<LoadedArchive>;
}
let current: Current | undefined;

/** TEMPERED_ARCHIVE when set, else the machine's apt sources for bookworm. */
export function configuredArchiveSources(config: Pick<Config, 'archive'>): Promise<ArchiveSource[]> {
  return resolveArchiveSources({ env: config.archive ? { TEMPERED_ARCHIVE: config.archive } : {} });
}

export async function sharedArchive(config: Pick<Config, 'archive' | 'archiveCache'>): Promise<LoadedArchive> {
  const sources = await configuredArchiveSources(config);
  const key = JSON.stringify([config.archiveCache, sources]);
  if (current?.key === key) {
    const entry = current;
    entry.check ??= revalidate(entry, sources, config.archiveCache).finally(() => {
      entry.check = undefined;
    });
    return entry.check;
  }
  return startLoad(key, sources, config.archiveCache).load;
}

function startLoad(key: string, sources: ArchiveSource[], cacheDir: string): Current {
  const entry: Current = { key, load: loadArchive(sources, { cacheDir }) };
  current = entry;
  entry.load.catch(() => {
    if (current === entry) current = undefined;
  });
  return entry;
}

async function revalidate(entry: Current, sources: ArchiveSource[], cacheDir: string): Promise<LoadedArchive> {
  const loaded = await entry.load.catch(() => undefined);
  if (loaded && (await unchanged(loaded, sources))) return loaded;
  return startLoad(entry.key, sources, cacheDir).load;
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
