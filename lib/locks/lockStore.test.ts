import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatLock } from '../../domain/lock';
import { EXAMPLE_LOCK } from '../../test/support/exampleLock';
import { readCurrentLockFile } from './lockStore';

// The store by digest is tested against a real registry in test/sign/sharedDocuments.test.ts.
const lock = EXAMPLE_LOCK;

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
