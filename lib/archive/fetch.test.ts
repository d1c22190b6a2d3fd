/**
 * loadArchive and fetchDeb against a real signed repository on 127.0.0.1
 * (test/support/aptRepo.ts), including the ways a mirror can be wrong.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAptRepo, type AptRepo, type FakePackage } from '../../test/support/aptRepo';
import { isArchiveError, type ArchiveErrorCode } from './errors';
import { fetchDeb, loadArchive, type LoadArchiveOptions } from './fetch';
import { DEBIAN_ARCHIVE_KEYRING, parseArchiveSources, type ArchiveSource } from './sources';
import type { FetchLike } from './transport';
import { findUpdates } from './updates';

jest.setTimeout(60_000);

const hello = (version: string): FakePackage => ({
  name: 'hello',
  version,
  architecture: 'amd64',
  depends: 'libhello1 (>= 1.0)',
  files: { '/usr/bin/hello': `#!/bin/sh\necho hello ${version}\n` },
});
const libhello: FakePackage = { name: 'libhello1', version: '1.0-1', source: 'hello', architecture: 'amd64' };
const helloData: FakePackage = { name: 'hello-data', version: '1.0-1', source: 'hello', architecture: 'all' };

let workDir: string;
let repo: AptRepo;
let source: ArchiveSource;

/** A fetch that records every URL asked for. */
function countingFetch(): { fetchImpl: FetchLike; urls: string[] } {
  const urls: string[] = [];
  return { urls, fetchImpl: (input, init) => (urls.push(input), fetch(input, init)) };
}

async function freshCache(): Promise<string> {
  return mkdtemp(join(workDir, 'cache-'));
}

async function load(options: Partial<LoadArchiveOptions> = {}, sources = [source]) {
  return loadArchive(sources, { cacheDir: await freshCache(), ...options });
}

async function errorCodeOf(promise: Promise<unknown>): Promise<ArchiveErrorCode | string> {
  try {
    await promise;
  } catch (error) {
    return isArchiveError(error) ? error.code : `not an ArchiveError: ${String(error)}`;
  }
  return 'resolved';
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tempered-archive-test-'));
  repo = await createAptRepo({ dir: join(workDir, 'repo') });
  await repo.publish([hello('1.0-1'), libhello, helloData]);
  [source] = parseArchiveSources([{ uri: repo.url, suites: [repo.suite], keyring: repo.keyringPath }], 'test') as [ArchiveSource];
});

afterAll(async () => {
  await repo?.close();
  await rm(workDir, { recursive: true, force: true });
});

// Each break below lasts until the next publish, which rebuilds and re-signs the archive.
afterEach(async () => {
  await repo.publish([]);
});

describe('loadArchive', () => {
  it('loads a verified index and records what it trusted', async () => {
    const { index, releases, problems } = await load();
    expect(index.newest('hello')).toMatchObject({
      version: '1.0-1',
      source: 'hello',
      origin: { archive: repo.url, suite: 'tempered-test', component: 'main' },
    });
    expect(index.newest('hello-data')?.architecture).toBe('all');
    expect([...index.sources()]).toEqual(['hello']);
    expect(problems).toEqual([]);
    expect(releases).toEqual([
      expect.objectContaining({
        archive: repo.url,
        suite: 'tempered-test',
        url: `${repo.url}/dists/tempered-test/InRelease`,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        signers: [expect.stringMatching(/^[0-9A-F]{40}$/)],
        origin: 'tempered-test',
        validUntil: expect.any(String),
        indexes: [
          expect.objectContaining({
            component: 'main',
            architecture: 'amd64',
            url: `${repo.url}/dists/tempered-test/main/binary-amd64/Packages.xz`,
            packages: 3,
            fromCache: false,
          }),
        ],
      }),
    ]);
  });

  it('reads a file: archive the same way', async () => {
    const fileSource = { ...source, uri: `file://${join(workDir, 'repo', 'archive')}` };
    const { index } = await load({}, [fileSource]);
    expect(index.newest('hello')?.version).toBe('1.0-1');
  });

  it('serves an unchanged index from the cache: only InRelease is downloaded again', async () => {
    const cacheDir = await freshCache();
    await loadArchive([source], { cacheDir });
    const { fetchImpl, urls } = countingFetch();
    const { index, releases } = await loadArchive([source], { cacheDir, fetchImpl });
    expect(urls).toEqual([`${repo.url}/dists/tempered-test/InRelease`]);
    expect(releases[0]?.indexes[0]).toMatchObject({ fromCache: true, downloadedBytes: 0 });
    expect(index.newest('hello')?.version).toBe('1.0-1');
    // Re-signing (new Date, same packages) keeps the cache valid: it is keyed by the index's content.
    await repo.publish([]);
    urls.length = 0;
    await loadArchive([source], { cacheDir, fetchImpl });
    expect(urls).toHaveLength(1);
  });

  it('reloads only what changed: the unchanged suite keeps its parsed index, the changed one is read anew', async () => {
    const other = await createAptRepo({ dir: join(workDir, 'other-repo'), suite: 'other' });
    try {
      await other.publish([{ name: 'tzdata-like', version: '1-1', architecture: 'all' }]);
      const [otherSource] = parseArchiveSources([{ uri: other.url, suites: [other.suite], keyring: other.keyringPath }], 'test') as [ArchiveSource];
      const cacheDir = await freshCache();
      const first = await loadArchive([source, otherSource], { cacheDir });
      await other.publish([{ name: 'tzdata-like', version: '1-2', architecture: 'all' }]);
      const { fetchImpl, urls } = countingFetch();
      const second = await loadArchive([source, otherSource], { cacheDir, fetchImpl, reuse: first });

      expect(second.index.versions('tzdata-like').map((p) => p.version)).toEqual(['1-2', '1-1']);
      expect(second.index.newest('hello')?.version).toBe('1.0-1');
      const parts = (load: typeof first, uri: string) => [...load.parsed].filter(([key]) => key.includes(JSON.stringify(uri))).map(([, part]) => part);
      expect(parts(second, repo.url)).toEqual(parts(first, repo.url));
      expect(parts(second, repo.url)[0]).toBe(parts(first, repo.url)[0]);
      expect(parts(second, other.url)[0]).not.toBe(parts(first, other.url)[0]);
      // Only the two InRelease files and the changed index, by hash.
      expect(urls.filter((url) => !url.endsWith('/InRelease'))).toEqual([expect.stringMatching(new RegExp(`^${other.url}/dists/other/main/binary-amd64/`))]);
    } finally {
      await other.close();
    }
  });

  it('sees a newly published version as an update for locks holding the old one, and a withdrawn one by name', async () => {
    const before = await load();
    const locked = before.index.newest('hello');
    if (!locked) throw new Error('hello is not in the archive');
    const locks = { 'hello:runtime': [locked] };
    expect(findUpdates(locks, before.index)).toEqual({ updates: [], withdrawn: [] });

    await repo.publish([hello('1.0-2')]);
    const after = await load();
    expect(after.index.versions('hello').map((pkg) => pkg.version)).toEqual(['1.0-2', '1.0-1']);
    expect(findUpdates(locks, after.index).updates).toEqual([
      expect.objectContaining({ name: 'hello', lockedVersion: '1.0-1', newestVersion: '1.0-2', images: ['hello:runtime'] }),
    ]);

    await repo.remove('hello', '1.0-1');
    const withdrawn = findUpdates(locks, (await load()).index).withdrawn;
    expect(withdrawn).toEqual([{ name: 'hello', version: '1.0-1', newestVersion: '1.0-2', images: ['hello:runtime'] }]);
  });

  it('asks for indexes by hash when the Release offers it, and falls back to the name when the mirror lacks them', async () => {
    const byHashDir = join(workDir, 'by-hash-repo');
    const byHashRepo = await createAptRepo({ dir: byHashDir, acquireByHash: true });
    try {
      await byHashRepo.publish([libhello]);
      const byHashSource = { ...source, uri: byHashRepo.url, keyring: byHashRepo.keyringPath };
      const { releases } = await load({}, [byHashSource]);
      expect(releases[0]?.indexes[0]?.url).toMatch(/\/dists\/tempered-test\/main\/binary-amd64\/by-hash\/SHA256\/[0-9a-f]{64}$/);

      await rm(join(byHashDir, 'archive', 'dists', 'tempered-test', 'main', 'binary-amd64', 'by-hash'), { recursive: true });
      const fallback = await load({}, [byHashSource]);
      expect(fallback.releases[0]?.indexes[0]?.url).toBe(`${byHashRepo.url}/dists/tempered-test/main/binary-amd64/Packages.xz`);
      expect(fallback.index.newest('libhello1')?.version).toBe('1.0-1');
    } finally {
      await byHashRepo.close();
    }
  });

  it('refuses an InRelease altered after signing', async () => {
    await repo.breakSignature();
    await expect(load()).rejects.toThrow(/^ARCHIVE_BAD_SIGNATURE: a signature is BAD .*\/dists\/tempered-test\/InRelease\)$/);
  });

  it('refuses an InRelease signed by a key outside the keyring', async () => {
    const debianKeyring = { ...source, keyring: DEBIAN_ARCHIVE_KEYRING };
    await expect(load({}, [debianKeyring])).rejects.toThrow(/ARCHIVE_BAD_SIGNATURE: not signed by any key in the keyring/);
  });

  it('refuses an index that does not match the signed Release, and caches nothing from it', async () => {
    await repo.corruptIndex();
    const cacheDir = await freshCache();
    await expect(loadArchive([source], { cacheDir })).rejects.toThrow(
      /^ARCHIVE_HASH_MISMATCH: .* \(http:\/\/127\.0\.0\.1:\d+\/dists\/tempered-test\/main\/binary-amd64\/Packages\.xz\)$/,
    );
    expect(await readdir(join(cacheDir, 'indexes'))).toEqual([]);
  });

  it('refuses a Release past its Valid-Until, by the clock or by options.now', async () => {
    expect(await errorCodeOf(load({ now: new Date(Date.now() + 8 * 24 * 3600 * 1000) }))).toBe('ARCHIVE_EXPIRED');
    await repo.expire();
    await expect(load()).rejects.toThrow(/^ARCHIVE_EXPIRED: Release expired: Valid-Until .* is before /);
  });

  it('reports a suite or component the archive does not have as ARCHIVE_MISSING_INDEX', async () => {
    expect(await errorCodeOf(load({}, [{ ...source, suites: ['no-such-suite'] }]))).toBe('ARCHIVE_MISSING_INDEX');
    await expect(load({}, [{ ...source, components: ['contrib'] }])).rejects.toThrow(
      /ARCHIVE_MISSING_INDEX: Release lists no Packages index for contrib\/binary-amd64/,
    );
  });
});

describe('an unreachable mirror fails fast with ARCHIVE_UNREACHABLE', () => {
  const servers: Server[] = [];

  async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('when the port is closed', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));

    const started = Date.now();
    await expect(load({}, [{ ...source, uri: `http://127.0.0.1:${port}` }])).rejects.toThrow(
      new RegExp(`^ARCHIVE_UNREACHABLE: ECONNREFUSED.*\\(http://127\\.0\\.0\\.1:${port}/dists/tempered-test/InRelease\\)$`),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('when the server accepts but never answers', async () => {
    const uri = await listen(() => undefined);
    await expect(load({ responseTimeoutMs: 300 }, [{ ...source, uri }])).rejects.toThrow(
      /^ARCHIVE_UNREACHABLE: no response within 300 ms/,
    );
  });

  it('when the server stalls in the middle of a body', async () => {
    const uri = await listen((_request, response) => {
      response.writeHead(200, { 'content-length': 1000 });
      response.write('-----BEGIN PGP SIGNED MESSAGE-----\n');
    });
    await expect(load({ idleTimeoutMs: 300 }, [{ ...source, uri }])).rejects.toThrow(
      /^ARCHIVE_UNREACHABLE: download interrupted: stalled for 300 ms/,
    );
  });

  it('when the mirror answers 503', async () => {
    const uri = await listen((_request, response) => response.writeHead(503, 'Service Unavailable').end());
    await expect(load({}, [{ ...source, uri }])).rejects.toThrow(/^ARCHIVE_UNREACHABLE: HTTP 503 Service Unavailable/);
  });
});

describe('fetchDeb', () => {
  it('downloads into <sha256>.deb and serves the next call from the cache', async () => {
    const { index } = await load();
    const pkg = index.newest('hello');
    if (!pkg) throw new Error('hello is not in the archive');
    const entry = { archive: pkg.origin.archive, filename: pkg.filename, sha256: pkg.sha256, size: pkg.size };
    const debCacheDir = await mkdtemp(join(workDir, 'debs-'));

    const path = await fetchDeb(entry, debCacheDir);
    expect(path).toBe(join(debCacheDir, `${pkg.sha256}.deb`));
    const { fetchImpl, urls } = countingFetch();
    expect(await fetchDeb(entry, debCacheDir, { fetchImpl })).toBe(path);
    expect(urls).toEqual([]);

    // A damaged cache entry is trusted by default and replaced when asked to verify.
    await writeFile(path, 'damaged');
    expect(await fetchDeb(entry, debCacheDir, { fetchImpl })).toBe(path);
    expect(urls).toEqual([]);
    await fetchDeb(entry, debCacheDir, { fetchImpl, verifyCached: true });
    expect(urls).toEqual([`${repo.url}/${pkg.filename}`]);
    expect(await readdir(debCacheDir)).toEqual([`${pkg.sha256}.deb`]);
  });

  it('refuses a .deb that does not match its entry and leaves no file behind', async () => {
    const { index } = await load();
    const pkg = index.newest('libhello1');
    if (!pkg) throw new Error('libhello1 is not in the archive');
    const debCacheDir = await mkdtemp(join(workDir, 'debs-'));
    const wrongHash = { archive: repo.url, filename: pkg.filename, sha256: 'f'.repeat(64), size: pkg.size };
    await expect(fetchDeb(wrongHash, debCacheDir)).rejects.toThrow(/^ARCHIVE_HASH_MISMATCH: SHA256 [0-9a-f]{64}, expected f{64}/);
    const tooSmall = { archive: repo.url, filename: pkg.filename, sha256: pkg.sha256, size: pkg.size - 1 };
    await expect(fetchDeb(tooSmall, debCacheDir)).rejects.toThrow(/ARCHIVE_HASH_MISMATCH: larger than the expected/);
    expect(await readdir(debCacheDir)).toEqual([]);
  });
});
