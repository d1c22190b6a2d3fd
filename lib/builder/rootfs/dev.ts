/**
 * Assembles a dev root filesystem with mmdebstrap: the Essential set, apt and
 * the image's packages installed by dpkg with their maintainer scripts, so
 * `apt-get` and `dpkg` work in the result. mmdebstrap only sees a throwaway
 * flat repository holding exactly the locked .debs: the build can use the
 * lock and nothing else. With SOURCE_DATE_EPOCH set its output is
 * reproducible (measured: two runs, byte-identical trees).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VariantSpec } from '../../../domain/catalog/effective';
import type { Lock, LockedPackage } from '../../../domain/lock';
import { exec } from '../../process/exec';
import { writeAccounts } from './accounts';
import { applyPaths } from './paths';

/** Shipped by the mmdebstrap package. */
const MERGED_USR_HOOKS = '/usr/share/mmdebstrap/hooks/merged-usr';

export async function assembleDev(
  rootfs: string,
  spec: VariantSpec,
  packages: readonly { locked: LockedPackage; deb: string }[],
  options: { workdir: string; sourceDateEpoch: number; archives: Lock['archives']; progress: (step: string) => void },
): Promise<void> {
  const repo = path.join(options.workdir, 'repo');
  fs.mkdirSync(repo, { recursive: true });
  for (const { locked, deb } of packages) fs.symlinkSync(deb, path.join(repo, path.basename(locked.filename)));
  await exec('apt-ftparchive', ['packages', '.'], { cwd: repo }).then((index) => fs.writeFileSync(path.join(repo, 'Packages'), index));

  options.progress(`mmdebstrap: installing ${packages.length} packages with dpkg`);
  await exec(
    'mmdebstrap',
    [
      '--mode=root', '--variant=apt', '--format=directory', '--quiet',
      // Merged /usr the way debootstrap sets it up for bookworm, with the locked
      // usr-is-merged (policy.ts DEV_REQUIRED_PACKAGES) instead of usrmerge and perl.
      `--hook-dir=${MERGED_USR_HOOKS}`,
      `--include=${spec.packages.include.join(',')}`,
      'bookworm', rootfs,
      `deb [trusted=yes] copy://${repo} ./`,
    ],
    { env: { ...process.env, SOURCE_DATE_EPOCH: String(options.sourceDateEpoch), LC_ALL: 'C.UTF-8' }, onLine: (l) => l.startsWith('I:') && options.progress(`mmdebstrap ${l.slice(3)}`) },
  );
  writeAptSources(rootfs, options.archives);
  const accounts = writeAccounts(rootfs, spec.accounts);
  applyPaths(rootfs, spec.paths, accounts);
}

/**
 * Points apt in the image at the archives the lock was resolved against,
 * instead of the throwaway repository mmdebstrap was given, so `apt-get
 * update` works for whoever uses the dev image.
 */
function writeAptSources(rootfs: string, archives: Lock['archives']): void {
  const stanzas = archives.map(({ uri, suites }) =>
    ['Types: deb', `URIs: ${uri}`, `Suites: ${suites.join(' ')}`, 'Components: main', 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'].join('\n'),
  );
  fs.rmSync(path.join(rootfs, 'etc/apt/sources.list'), { force: true });
  fs.mkdirSync(path.join(rootfs, 'etc/apt/sources.list.d'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'etc/apt/sources.list.d/debian.sources'), stanzas.join('\n\n') + '\n');
}
