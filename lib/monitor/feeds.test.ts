import type { Advisory } from '../../domain/advisory/record';
import { FeedLoadError, type LoadedFeed } from '../feeds/load';
import { feedLocationProblem, isTransient, loadFeeds } from './feeds';

function advisory(id: string, fixedVersion: string | null, source = 'openssl', release?: Advisory['release']): Advisory {
  return { id, aliases: [], source, fixedVersion, status: fixedVersion ? 'fixed' : 'no-fix', severity: 'high', origin: 'osv', ...(release ? { release } : {}) };
}

const feed = (records: Advisory[], problems: LoadedFeed['problems'] = []): LoadedFeed => ({ records, problems, skipped: { 'other-release': 2, withdrawn: 1 } });

describe('loadFeeds', () => {
  it('keeps the good records of every readable feed and reports each problem', async () => {
    const feeds: Record<string, LoadedFeed | FeedLoadError> = {
      '/feeds/tracker.json': feed([advisory('CVE-2024-0001', '3.0.16-1~deb12u1')], [{ where: 'tracker.json#openssl/CVE-2024-9', problem: 'fixedVersion: invalid' }]),
      'https://feeds.example/osv.zip': new FeedLoadError('feed-http-status', 'https://feeds.example/osv.zip', 'HTTP 503 Service Unavailable'),
      '/feeds/osv': feed([advisory('CVE-2024-0001', '3.0.17-1~deb12u1'), advisory('CVE-2024-0002', null, 'glibc')]),
    };
    const result = await loadFeeds(Object.keys(feeds), async (location) => {
      const value = feeds[location];
      if (value instanceof Error) throw value;
      return value as LoadedFeed;
    });
    // The first feed listed wins for CVE-2024-0001/openssl.
    expect(result.records.map((r) => `${r.id}/${r.source}@${r.fixedVersion}`)).toEqual(['CVE-2024-0001/openssl@3.0.16-1~deb12u1', 'CVE-2024-0002/glibc@null']);
    expect(result.loaded).toBe(2);
    expect(result.skipped).toBe(6);
    expect(result.problems).toEqual([
      { where: 'tracker.json#openssl/CVE-2024-9', problem: 'fixedVersion: invalid', retryable: false },
      { where: 'https://feeds.example/osv.zip', problem: 'cannot load advisory feed https://feeds.example/osv.zip: HTTP 503 Service Unavailable', retryable: true },
    ]);
  });

  it('dedupes per release: the first feed wins each release\'s record, and one release never hides another', async () => {
    const feeds: Record<string, LoadedFeed> = {
      '/feeds/osv': feed([advisory('CVE-2099-1300', null, 'openssl', 'bookworm')]),
      '/feeds/tracker.json': feed([advisory('CVE-2099-1300', '3.5.1-1+deb13u1', 'openssl', 'trixie'), advisory('CVE-2099-1300', '3.0.17-1~deb12u2', 'openssl', 'bookworm')]),
    };
    const result = await loadFeeds(Object.keys(feeds), async (location) => feeds[location] as LoadedFeed);
    expect(result.records.map((r) => `${r.release} ${r.fixedVersion}`)).toEqual(['bookworm null', 'trixie 3.5.1-1+deb13u1']);
  });

  it('lets unexpected errors through: a bug must fail loudly, not look like a feed outage', async () => {
    await expect(loadFeeds(['/feeds/a.json'], async () => Promise.reject(new TypeError('bug')))).rejects.toThrow('bug');
  });
});

describe('isTransient', () => {
  it.each([
    ['feed-http-status', 'https://f.example/a', 'HTTP 502 Bad Gateway', true],
    ['feed-http-status', 'https://f.example/a', 'HTTP 429 Too Many Requests', true],
    ['feed-http-status', 'https://f.example/a', 'HTTP 404 Not Found', false],
    ['feed-unreadable', 'https://f.example/a', 'fetch failed', true],
    ['feed-unreadable', '/srv/feeds/missing.json', 'ENOENT', false],
    ['feed-bad-zip', 'https://f.example/all.zip', 'end of central directory not found', true],
    ['feed-bad-zip', '/srv/feeds/all.zip', 'end of central directory not found', false],
    ['feed-url-refused', 'http://f.example/a', 'plain http', false],
  ] as const)('%s %s (%s) -> %s', (code, location, problem, expected) => {
    expect(isTransient(new FeedLoadError(code, location, problem))).toBe(expected);
  });
});

describe('feedLocationProblem', () => {
  it.each([
    ['/srv/feeds/tracker.json', undefined],
    ['https://security-tracker.debian.org/tracker/data/json', undefined],
    ['http://127.0.0.1:8080/osv.zip', undefined],
    ['feeds/tracker.json', '"feeds/tracker.json" must be an absolute path or an https URL'],
    ['https://user:token@feeds.example/osv.zip', 'must not contain credentials: feed locations are recorded in workflow history'],
    ['http://feeds.example/osv.zip', 'cannot load advisory feed http://feeds.example/osv.zip: plain http is only allowed to loopback, use https for feeds.example'],
    [' /srv/feeds/x.json', '" /srv/feeds/x.json" must be a non-empty path or URL without surrounding spaces'],
  ])('%s', (location, problem) => expect(feedLocationProblem(location)).toBe(problem));
});
