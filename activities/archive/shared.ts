/**
 * One loaded archive per worker process at a time. Parsing bookworm's
 * indexes costs seconds and hundreds of MB; after an advisory storm a dozen
 * image workflows resolve at once, and they must share one load (single
 * flight) rather than each parse their own. A load is reused for a short
 * time; after that the InRelease files are fetched again (cheap) and the
 * verified index cache on disk makes an unchanged archive quick to reload.
 */
import type { Config } from '../../domain/config';
import { type ArchiveSource, resolveArchiveSources } from './sources';
import { type LoadedArchive, loadArchive } from './fetch';

const REUSE_MS = 60_000;
let current: { key: string; at: number; load: Promise<LoadedArchive> } | undefined;

/** TEMPERED_ARCHIVE when set, else the machine's apt sources for bookworm. */
export function configuredArchiveSources(config: Pick<Config, 'archive'>): Promise<ArchiveSource[]> {
  return resolveArchiveSources({ env: config.archive ? { TEMPERED_ARCHIVE: config.archive } : {} });
}

export async function sharedArchive(config: Pick<Config, 'archive' | 'archiveCache'>): Promise<LoadedArchive> {
  const list = await configuredArchiveSources(config);
  const cacheDir = config.archiveCache;
  const key = JSON.stringify([cacheDir, list]);
  if (current && current.key === key && Date.now() - current.at < REUSE_MS) return current.load;
  const load = loadArchive(list, { cacheDir });
  current = { key, at: Date.now(), load };
  load.catch(() => {
    if (current?.load === load) current = undefined;
  });
  return load;
}
