/**
 * Assembles a runtime root filesystem: packages unpacked with dpkg-deb (no
 * maintainer scripts, no dpkg, no shell), then the dpkg database scanners
 * read, Python bytecode where there is Python, the accounts, the CA bundle
 * and the definition's paths. This is the distroless way; apko does the same
 * for apk. Written by hand because no Debian tool assembles an image without
 * running maintainer scripts and still leaves a correct dpkg status behind.
 */
import type { VariantSpec } from '../../../domain/catalog/effective';
import { mapLimit } from '../../process/pool';
import { writeAccounts } from './accounts';
import { writeCaBundle } from './certificates';
import { extractDeb, readDeb } from './debFile';
import { writeDpkgDatabase } from './dpkgDatabase';
import { applyPaths } from './paths';
import { prune } from './prune';
import { compilePythonBytecode, pythonInterpreters } from './pythonBytecode';

export async function assembleRuntime(
  rootfs: string,
  spec: VariantSpec,
  debs: readonly string[],
  options: { sourceDateEpoch: number; progress: (step: string) => void },
): Promise<void> {
  const { progress } = options;
  progress(`unpacking ${debs.length} packages`);
  // Sequential on purpose: when two packages ship one path, the later name wins, every time.
  for (const deb of debs) await extractDeb(deb, rootfs);
  progress('writing the dpkg database');
  writeDpkgDatabase(rootfs, await mapLimit(debs, 4, readDeb));
  prune(rootfs, spec.prune);
  // What python3's postinst would have done; a no-op for images without Python.
  if (pythonInterpreters(rootfs).length > 0) {
    progress('compiling Python bytecode');
    await compilePythonBytecode(rootfs, options.sourceDateEpoch);
  }
  progress('writing accounts, CA bundle and paths');
  const accounts = writeAccounts(rootfs, spec.accounts);
  writeCaBundle(rootfs);
  applyPaths(rootfs, spec.paths, accounts);
}
