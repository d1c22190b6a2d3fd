/**
 * Byte-compiles the Python of a runtime root filesystem, as python3's
 * maintainer scripts (py3compile) would in a normal install. A runtime image
 * never runs those scripts, and without .pyc files every container start
 * compiles each module it imports again: importing json, ssl, asyncio,
 * email, http.client and decimal took 1.26 s without them and 0.43 s with
 * (python:bookworm, measured). The image cannot cache them itself: nonroot
 * cannot write to /usr/lib/python3.11, and PYTHONDONTWRITEBYTECODE is set.
 *
 * Reproducible, because the image digest depends on these bytes:
 * - hash-based .pyc files (what py_compile writes when SOURCE_DATE_EPOCH is
 *   set): timestamp-based ones would also go stale when the layer writer
 *   clamps the sources' mtimes;
 * - a fixed PYTHONHASHSEED: set and frozenset constants are marshalled in
 *   hash order;
 * - one process (-j1), and compileall walks each directory in sorted order.
 * Two runs gave byte-identical trees.
 *
 * The interpreter that compiles is the image's own, run with chroot (builds
 * run as root), so the bytecode matches the interpreter that will load it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exec } from '../../process/exec';

/** Debian's site directory, shared by every python3.X. */
const DIST_PACKAGES = '/usr/lib/python3/dist-packages';

/** `python3.11` etc. for which the rootfs has both the interpreter and its standard library. */
export function pythonInterpreters(rootfs: string): string[] {
  const bin = path.join(rootfs, 'usr/bin');
  if (!fs.existsSync(bin)) return [];
  return fs
    .readdirSync(bin)
    .filter((name) => /^python3\.\d+$/.test(name) && fs.existsSync(path.join(rootfs, 'usr/lib', name)))
    .sort();
}

/** Compiles the standard library and dist-packages for each interpreter; returns the interpreters it ran. */
export async function compilePythonBytecode(rootfs: string, sourceDateEpoch: number): Promise<string[]> {
  const interpreters = pythonInterpreters(rootfs);
  for (const python of interpreters) {
    const dirs = [`/usr/lib/${python}`, DIST_PACKAGES].filter((dir) => fs.existsSync(path.join(rootfs, dir)));
    // A clean environment instead of -E (which would also drop PYTHONHASHSEED): nothing of the host's leaks in.
    await exec('/usr/sbin/chroot', [rootfs, `/usr/bin/${python}`, '-s', '-m', 'compileall', '-q', '-j1', ...dirs], {
      env: { PATH: '/usr/bin:/bin', PYTHONHASHSEED: '0', SOURCE_DATE_EPOCH: String(sourceDateEpoch) },
    });
  }
  return interpreters;
}
