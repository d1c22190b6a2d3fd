import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatLock, type Lock } from '../../domain/lock';
import { readCurrentLockFile } from './lockStore';

// The store by digest is tested against a real registry in test/sign/sharedDocuments.test.ts.
const lock: Lock = {
  lockVersion: 2,
  image: 'base',
  release: 'trixie',
  resolvedFrom: `sha256:${'a'.repeat(64)}`,
  archives: [{ uri: 'http://deb.debian.org/debian', suites: ['trixie'] }],
  platforms: {
    amd64: {
      packages: [{ name: 'libc6', version: '2.41-12', architecture: 'amd64', source: 'glibc', sourceVersion: '2.41-12', archive: 'http://deb.debian.org/debian', suite: 'trixie', filename: 'pool/main/g/glibc/libc6_2.41-12_amd64.deb', size: 1, sha256: 'c'.repeat(64) }],
      variants: { runtime: { packages: ['libc6'], sourceDateEpoch: 1 }, dev: { packages: ['libc6'], sourceDateEpoch: 1 } },
    },
  },
};

test('a lock file from before releases (lockVersion 1) is no previous lock; a current one is read', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-locks-'));
  try {
    const old = path.join(dir, 'base.lock.json');
    fs.writeFileSync(old, JSON.stringify({ lockVersion: 1, image: 'base', packages: [], variants: {} }));
    expect(readCurrentLockFile(old)).toBeUndefined();
    expect(readCurrentLockFile(path.join(dir, 'missing.json'))).toBeUndefined();
    const current = path.join(dir, 'base.trixie.lock.json');
    fs.writeFileSync(current, formatLock(lock));
    expect(readCurrentLockFile(current)).toEqual(lock);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
