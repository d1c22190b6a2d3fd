/**
 * One loaded archive per worker process at a time. Parsing bookworm's
 * indexes costs seconds and hundreds of MB; after an advisory storm a dozen
 * image workflows resolve at once, and they must share one load (single
 * flight) rather than each parse their own. A load is reused while the
 * archive has not changed: after a few seconds, the signed InRelease files
 * are fetched again (cheap) and compared with those the load was made from,
 * so a fix published a moment ago is never hidden by the cache.
 */
import type { Config } from '../../domain/config';
import { type ArchiveSource, resolveArchiveSources } from './sources';
import { type LoadedArchive, loadArchive } from './fetch';
import { fetchVerifiedRelease } from './inRelease';

/** Within this window a load is reused without even looking at InRelease. */
const TRUST_MS = 3_000;
let current: { key: string; at: number; load: Promise<LoadedArchive> } | undefined;

/** TEMPERED_ARCHIVE when set, else the machine's apt sources for bookworm. */
export function configuredArchiveSources(config: Pick<Config, 'archive'>): Promise<ArchiveSource[]> {
  return resolveArchiveSources({ env: config.archive ? { TEMPERED_ARCHIVE: config.archive } : {} });
}

export async function sharedArchive(config: Pick<Config, 'archive' | 'archiveCache'>): Promise<LoadedArchive> {
  const list = await configuredArchiveSources(config);
  const cacheDir = config.archiveCache;
  const key = JSON.stringify([cacheDir, list]);
  if (current && current.key === key) {
    if (Date.now() - current.at < TRUST_MS) return current.load;
    const loaded = await current.load.catch(() => undefined);
    if (loaded && (await unchanged(loaded, list))) {
      current.at = Date.now();
      return loaded;
    }
  }
  const load = loadArchive(list, { cacheDir });
  current = { key, at: Date.now(), load };
  load.catch(() => {
    if (current?.load === load) current = undefined;
  });
  return load;
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
