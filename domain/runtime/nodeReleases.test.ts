import { nodeSupport, parseWorkerIdentity, workerIdentity } from './nodeReleases';

describe('nodeSupport', () => {
  it('flags Node 20 as end of life after April 2026 and Node 24 as supported', () => {
    expect(nodeSupport('v20.20.2', '2026-12-04')).toEqual({ status: 'end-of-life', since: '2026-04-30' });
    expect(nodeSupport('24.22.3', '2026-12-04')).toEqual({ status: 'supported', until: '2028-04-30' });
    expect(nodeSupport('v20.20.2', '2026-04-30')).toEqual({ status: 'supported', until: '2026-04-30' });
  });
  it('does not guess about a line it has no date for', () => {
    expect(nodeSupport('v25.1.0', '2026-12-04')).toEqual({ status: 'unknown' });
    expect(nodeSupport('not a version')).toEqual({ status: 'unknown' });
  });
});

describe('worker identity', () => {
  it('round-trips role, process and runtime', () => {
    const id = workerIdentity('build', 4242, 'worker-3', 'v24.22.3');
    expect(id).toBe('tempered-build 4242@worker-3 node v24.22.3');
    expect(parseWorkerIdentity(id)).toEqual({ role: 'build', process: '4242@worker-3', node: 'v24.22.3' });
  });
  it('keeps a foreign identity whole', () => {
    expect(parseWorkerIdentity('12@host')).toEqual({ process: '12@host' });
  });
});
