/** A small current-format lock (one trixie amd64 package) for tests of lock files and the lock store. */
import type { Lock } from '../../domain/lock';

export const EXAMPLE_LOCK: Lock = {
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
