import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipOf } from '../../test/support/zip';
import { FeedLoadError, assertFetchableUrl, loadFeed } from './load';

const fixtures = join(__dirname, '../../test/fixtures/advisories');
const osvDirectory = join(fixtures, 'osv');

function osvZip(): Buffer {
  const files: Record<string, string> = { 'README.txt': 'not a record' };
  for (const name of readdirSync(osvDirectory).sort().reverse()) files[name] = readFileSync(join(osvDirectory, name), 'utf8');
  files['broken.json'] = '{"id": "DSA-1-1", "affected": [';
  return zipOf(files);
}

describe('loadFeed from files', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'tempered-feed-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('reads a tracker file, detecting its format', async () => {
    const feed = await loadFeed(join(fixtures, 'tracker-bookworm.json'));
    expect(feed.records).toHaveLength(11);
    expect(new Set(feed.records.map((record) => record.source))).toEqual(new Set(['openssl', 'glibc', 'zlib', 'curl']));
    expect(new Set(feed.records.map((record) => record.status))).toEqual(new Set(['fixed', 'not-affected', 'no-fix', 'undetermined']));
    expect(feed.problems).toEqual([]);
    expect(feed.skipped).toEqual({ 'other-release': 1, withdrawn: 0 });
  });

  it('reads every *.json of a directory in name order', async () => {
    const feed = await loadFeed(osvDirectory);
    expect(feed.records.map((record) => record.id)).toEqual(['CVE-2023-4039', 'DSA-5514-1', 'DSA-5532-1']);
    expect(feed.skipped).toEqual({ 'other-release': 2, withdrawn: 0 });
    expect(feed.problems).toEqual([]);
  });

  it('keeps good records next to bad ones and says where each problem is', async () => {
    const feed = await loadFeed(join(fixtures, 'osv-batch-with-problems.json'));
    expect(feed.records.map((record) => record.id)).toEqual(['DSA-5523-1']);
    expect(feed.problems.map((problem) => problem.where)).toEqual(['osv-batch-with-problems.json#DSA-5555-1', 'osv-batch-with-problems.json#2']);
    expect(feed.skipped.withdrawn).toBe(1);
  });

  it('reports files that are not JSON or not a feed, and drops duplicate advisories', async () => {
    copyFileSync(join(osvDirectory, 'DSA-5532-1.json'), join(scratch, 'a.json'));
    copyFileSync(join(osvDirectory, 'DSA-5532-1.json'), join(scratch, 'b.json'));
    writeFileSync(join(scratch, 'c.json'), '{"id": ');
    writeFileSync(join(scratch, 'd.json'), '{"hello": "world"}');
    writeFileSync(join(scratch, 'notes.txt'), 'ignored');
    const feed = await loadFeed(scratch);
    expect(feed.records.map((record) => record.id)).toEqual(['DSA-5532-1']);
    expect(feed.problems).toEqual([
      { where: expect.stringMatching(/\/c\.json$/), problem: expect.stringMatching(/^\(document\): not JSON: /) },
      { where: expect.stringMatching(/\/d\.json$/), problem: '(document): neither an OSV record nor Debian Security Tracker JSON' },
    ]);
  });

  it('reads a document as the kind it is told', async () => {
    const feed = await loadFeed(join(fixtures, 'tracker-bookworm.json'), { kind: 'osv' });
    expect(feed.records).toEqual([]);
    expect(feed.problems).toHaveLength(1);
    expect(feed.problems[0]?.problem).toMatch(/^id: is required/);
  });

  it('reads OSV all.zip entries in name order, ignoring non-JSON entries', async () => {
    const zipPath = join(scratch, 'all.zip');
    writeFileSync(zipPath, osvZip());
    const feed = await loadFeed(zipPath);
    expect(feed.records.map((record) => record.id)).toEqual(['CVE-2023-4039', 'DSA-5514-1', 'DSA-5532-1']);
    expect(feed.problems).toEqual([{ where: 'all.zip!broken.json', problem: expect.stringMatching(/^\(document\): not JSON/) }]);
    expect(feed.skipped['other-release']).toBe(2);
  });

  it('keeps one record per release: the same issue and version in two releases is not a duplicate', async () => {
    const feed = await loadFeed(join(fixtures, 'tracker-two-releases.json'));
    // CVE-2099-1302 has no fixed version in either release: only the release tells its two records apart.
    expect(feed.records.filter((record) => record.id === 'CVE-2099-1302').map((record) => `${record.release} ${record.status}`)).toEqual([
      'trixie undetermined',
      'bookworm not-affected',
    ]);
    expect(feed.records).toHaveLength(8);
    expect(feed.skipped).toEqual({ 'other-release': 1, withdrawn: 0 });
  });

  it('reads only the releases it is asked for, from either kind of feed', async () => {
    const osv = await loadFeed(join(fixtures, 'osv-two-releases.json'), { releases: ['bookworm'] });
    expect(osv.records.map((record) => `${record.release} ${record.fixedVersion}`)).toEqual(['bookworm 3.0.17-1~deb12u2']);
    expect(osv.skipped['other-release']).toBe(3);
    const tracker = await loadFeed(join(fixtures, 'tracker-two-releases.json'), { releases: ['trixie'] });
    expect(new Set(tracker.records.map((record) => record.release))).toEqual(new Set(['trixie']));
  });

  it('throws a typed error for a feed it cannot read', async () => {
    await expect(loadFeed(join(scratch, 'missing.json'))).rejects.toMatchObject({ name: 'FeedLoadError', code: 'feed-unreadable' });
    const truncatedZip = join(scratch, 'cut.zip');
    writeFileSync(truncatedZip, osvZip().subarray(0, 100));
    await expect(loadFeed(truncatedZip)).rejects.toMatchObject({ code: 'feed-bad-zip' });
  });
});

describe('loadFeed from a URL', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const tracker = readFileSync(join(fixtures, 'tracker-bookworm.json'));
    const zip = osvZip();
    server = createServer((request, response) => {
      if (request.url === '/tracker/data/json') response.writeHead(200, { 'content-type': 'application/json' }).end(tracker);
      else if (request.url === '/osv/all?format=zip') response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(zip);
      else response.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches and normalizes tracker JSON', async () => {
    const feed = await loadFeed(`${base}/tracker/data/json`);
    expect(feed.records).toHaveLength(11);
    expect(feed.problems).toEqual([]);
  });

  it('recognizes a zip by its content, not its URL', async () => {
    const feed = await loadFeed(`${base}/osv/all?format=zip`);
    expect(feed.records.map((record) => record.id)).toEqual(['CVE-2023-4039', 'DSA-5514-1', 'DSA-5532-1']);
    expect(feed.problems[0]?.where).toBe(`${base}/osv/all?format=zip!broken.json`);
  });

  it('throws on an HTTP error status', async () => {
    const error = await loadFeed(`${base}/nothing-here`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedLoadError);
    expect(error).toMatchObject({ code: 'feed-http-status', message: expect.stringContaining('HTTP 404') });
  });
});

describe('assertFetchableUrl', () => {
  it('allows https anywhere and plain http only to loopback', () => {
    expect(assertFetchableUrl('https://security-tracker.debian.org/tracker/data/json').hostname).toBe('security-tracker.debian.org');
    expect(assertFetchableUrl('http://127.0.0.1:8080/feed.json').port).toBe('8080');
    expect(assertFetchableUrl('http://localhost/feed.json').hostname).toBe('localhost');
  });

  it.each([
    ['http://security-tracker.debian.org/tracker/data/json', /plain http is only allowed to loopback/],
    ['ftp://ftp.debian.org/feed.json', /unsupported scheme ftp:/],
    ['https://', /not a valid URL/],
  ])('refuses %s before sending anything', (url, why) => {
    expect(() => assertFetchableUrl(url)).toThrow(why);
  });
});

describe('a feed cannot outgrow the worker', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'tempered-feed-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  // Inflating up to the budget takes a few seconds on two cores.
  jest.setTimeout(60_000);

  it('stops a zip whose entries together decompress past the budget, naming the feed', async () => {
    // 40 entries of 20 MiB each (every one under the per-entry limit): 800 MiB from a zip of under 1 MiB.
    const filler = ' '.repeat(20 * 1024 * 1024);
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`CVE-2099-${i}.json`, `{"id":"CVE-2099-${i}","x":"${filler}"}`]));
    const zip = join(scratch, 'all.zip');
    writeFileSync(zip, zipOf(files, { deflate: true }));
    const failure = await loadFeed(zip).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(FeedLoadError);
    expect((failure as FeedLoadError).code).toBe('feed-too-large');
    expect((failure as FeedLoadError).message).toMatch(new RegExp(`^cannot load advisory feed all.zip: decompresses past its budget of 268435456 bytes \\(at all.zip!CVE-2099-\\d+.json\\)`));
  });

  it('stops reading a URL body at the budget, however long the server sends', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const send = () => {
        while (res.write(chunk)) if (res.writableLength > 64 * 1024 * 1024) break;
      };
      res.on('drain', send);
      send();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/all.json`;
      const failure = await loadFeed(url, { maxBytes: 8 * 1024 * 1024 }).catch((err: unknown) => err);
      expect((failure as FeedLoadError).code).toBe('feed-too-large');
      expect((failure as FeedLoadError).message).toBe(`cannot load advisory feed ${url}: decompresses past its budget of 8388608 bytes (at ${url})`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
