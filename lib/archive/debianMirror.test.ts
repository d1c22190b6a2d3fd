/**
 * The real thing: the Debian mirror this machine's apt is configured with,
 * checked with Debian's own keyring. Downloads about 9 MB on a cold cache.
 * Set TEMPERED_OFFLINE=1 to skip it where there is no mirror.
 *
 * Durations and sizes are printed, never asserted (see docs: benchmarks are
 * `npm run bench`'s job).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadArchive, type LoadedArchive } from './fetch';
import { DEBIAN_ARCHIVE_KEYRING, defaultArchiveSources, type ArchiveSource } from './sources';

jest.setTimeout(300_000);

const describeOnline = process.env.TEMPERED_OFFLINE === '1' ? describe.skip : describe;

/** dpkg is the oracle for version order, independent of domain/debian/version.ts. */
async function dpkgGreater(a: string, b: string): Promise<boolean> {
  try {
    await promisify(execFile)('dpkg', ['--compare-versions', a, 'gt', b]);
    return true;
  } catch {
    return false;
  }
}

describeOnline('the configured Debian mirror', () => {
  let cacheDir: string;
  let sources: ArchiveSource[];
  let cold: LoadedArchive;
  let warm: LoadedArchive;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'tempered-debian-cache-'));
    sources = await defaultArchiveSources();
    let started = performance.now();
    cold = await loadArchive(sources, { cacheDir });
    timings.coldMs = Math.round(performance.now() - started);
    started = performance.now();
    warm = await loadArchive(sources, { cacheDir });
    timings.warmMs = Math.round(performance.now() - started);
  });

  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
    const rows = cold.releases.flatMap((release) =>
      release.indexes.map((index) => ({
        suite: release.suite,
        index: `${index.component}/binary-${index.architecture}`,
        packages: index.packages,
        downloadedKB: Math.round(index.downloadedBytes / 1024),
        decompressedKB: Math.round(index.bytes / 1024),
      })),
    );
    console.log(`Debian archive load: cold ${timings.coldMs} ms, warm ${timings.warmMs} ms`);
    console.table(rows);
  });

  it('verifies bookworm, bookworm-updates and bookworm-security with the Debian keyring', () => {
    expect(sources.every((source) => source.keyring === DEBIAN_ARCHIVE_KEYRING)).toBe(true);
    expect(cold.releases.map((release) => release.suite).sort()).toEqual(['bookworm', 'bookworm-security', 'bookworm-updates']);
    for (const release of cold.releases) {
      expect(release.signers.length).toBeGreaterThan(0);
      expect(release.codename).toBe(release.suite);
      expect(release.indexes.length).toBeGreaterThan(0);
      // Debian announces Acquire-By-Hash: indexes are fetched by content, immune to a mirror update mid-load.
      for (const index of release.indexes) expect(index.url).toContain('/by-hash/SHA256/');
    }
    expect(cold.problems).toEqual([]);
  });

  it('loads the second time from the cache, downloading only the InRelease files', () => {
    const indexes = warm.releases.flatMap((release) => release.indexes);
    expect(indexes.every((index) => index.fromCache && index.downloadedBytes === 0)).toBe(true);
    expect(warm.index.newest('libc6')).toEqual(cold.index.newest('libc6'));
  });

  it('offers as newest libc6 the highest version of any suite', async () => {
    const versions = cold.index.versions('libc6');
    const suites = new Set(versions.map((pkg) => pkg.origin.suite));
    expect(suites).toContain('bookworm');
    const newest = cold.index.newest('libc6');
    expect(newest?.source).toBe('glibc');
    for (const other of versions) {
      if (other.version !== newest?.version) expect(await dpkgGreater(newest?.version ?? '', other.version)).toBe(true);
    }
    console.log(`libc6: ${versions.map((pkg) => `${pkg.version} (${pkg.origin.suite})`).join(', ')}; newest ${newest?.version}`);
  });
});
