/**
 * Assembles a runtime root filesystem: packages unpacked with dpkg-deb (no
 * maintainer scripts, no dpkg, no shell), then the dpkg database scanners
 * read, the accounts, the CA bundle and the definition's paths. This is the
 * distroless way; apko does the same for apk. Written by hand because no
 * Debian tool assembles an image without running maintainer scripts and
 * still leaves a correct dpkg status behind.
 */
import type { VariantSpec } from '../../../domain/catalog/effective';
import { mapLimit } from '../../lib/pool';
import { writeAccounts } from './accounts';
import { writeCaBundle } from './certificates';
import { extractDeb, readDeb } from './debFile';
import { writeDpkgDatabase } from './dpkgDatabase';
import { applyPaths } from './paths';
import { prune } from './prune';

export async function assembleRuntime(rootfs: string, spec: VariantSpec, debs: readonly string[], progress: (step: string) => void): Promise<void> {
  progress(`unpacking ${debs.length} packages`);
  // Sequential on purpose: when two packages ship one path, the later name wins, every time.
  for (const deb of debs) await extractDeb(deb, rootfs);
  progress('writing the dpkg database');
  writeDpkgDatabase(rootfs, await mapLimit(debs, 4, readDeb));
  prune(rootfs, spec.prune);
  progress('writing accounts, CA bundle and paths');
  const accounts = writeAccounts(rootfs, spec.accounts);
  writeCaBundle(rootfs);
  applyPaths(rootfs, spec.paths, accounts);
}
