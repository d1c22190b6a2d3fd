/**
 * Looks inside an image that has no shell. A statically linked busybox from
 * the host (Debian's busybox-static) is bind-mounted read-only and run as the
 * image's own user, with network none: it sees exactly what the image's
 * processes would see, and the image itself stays shell-free.
 */
import * as fs from 'node:fs';
import { runInContainer, type RunResult } from '../engine/run';

export const PROBE_HOST_PATH = '/bin/busybox';
const PROBE = '/.tempered-probe/busybox';
const MARK = '\n@@tempered@@ ';

export interface Snapshot {
  uid: string;
  gid: string;
  /** Present paths from the asked list, with octal mode. */
  modes: Record<string, string>;
  /** Contents of the files asked for (a `dir/*` request adds each of its files by path). */
  files: Record<string, string>;
  /** Regular files with a setuid or setgid bit, on the image's own filesystem. */
  setid: string[];
  /** World-writable regular files, and world-writable directories without the sticky bit, outside /tmp. */
  worldWritable: string[];
  /** When asked (tryShell): what exec of /bin/sh -c 'echo shell' did inside the image, as its user. */
  shell?: { exitCode: number; stdout: string };
}

export function probeAvailable(): boolean {
  return fs.existsSync(PROBE_HOST_PATH);
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** One container run that reports identity, the modes of `stat` paths and the contents of `read` paths. */
/** `platform`: the image's, when it is not the host's (the probe is the host's static busybox: it runs natively in any image). */
/**
 * `tryShell`: also exec /bin/sh in the image (a real execve, from a subshell: the probe's own applets are
 * never run for a path), what `docker run --entrypoint /bin/sh` would do, in this container instead of one
 * of its own.
 */
export async function snapshot(image: string, user: string | undefined, stat: readonly string[], read: readonly string[], platform?: string, tryShell = false): Promise<Snapshot> {
  const b = PROBE;
  const script = [
    ...(tryShell ? [`printf '\n${MARK.trim()} shell\n'; ( exec /bin/sh -c 'echo shell' ) 2>/dev/null; printf '\n${MARK.trim()} shell-exit\n%s\n' "$?"`] : []),
    `printf '\\n${MARK.trim()} uid\\n'; ${b} id -u`,
    `printf '\\n${MARK.trim()} gid\\n'; ${b} id -g`,
    // -xdev: the image's own filesystem, not the /proc, /sys and /dev the engine mounts.
    `printf '\\n${MARK.trim()} setid\\n'; ${b} find / -xdev -type f \\( -perm -4000 -o -perm -2000 \\) 2>/dev/null`,
    `printf '\\n${MARK.trim()} writable\\n'; ${b} find / -xdev \\( -path /tmp -o -path '/tmp/*' -o -path '/.tempered-probe*' \\) -prune -o \\( -type f -perm -0002 -print \\) -o \\( -type d -perm -0002 ! -perm -1000 -print \\) 2>/dev/null`,
    ...stat.map((p) => `if ${b} test -e ${quote(p)} -o -L ${quote(p)}; then printf '\\n${MARK.trim()} mode %s\\n' ${quote(p)}; ${b} stat -c %a ${quote(p)}; fi`),
    // A path ending in "/*" reads every regular file of that directory (dpkg's status.d).
    ...read.map((p) =>
      p.endsWith('/*')
        ? `for f in ${quote(p.slice(0, -2))}/*; do if ${b} test -f "$f" -a -r "$f"; then printf '\\n${MARK.trim()} file %s\\n' "$f"; ${b} cat "$f"; fi; done`
        : `if ${b} test -r ${quote(p)}; then printf '\\n${MARK.trim()} file %s\\n' ${quote(p)}; ${b} cat ${quote(p)}; fi`,
    ),
    // The sections above carry the findings; the exit status is whether the probe ran (find's is not).
    'true',
  ].join('\n');
  const result = await probe(image, user, [b, 'sh', '-c', script], 60, platform);
  if (result.exitCode !== 0) throw new Error(`probe failed in ${image}: exit ${result.exitCode} ${result.stderr.slice(0, 300)}`);
  return parseSnapshot(result.stdout);
}

export function probe(image: string, user: string | undefined, command: string[], timeoutSeconds: number, platform?: string): Promise<RunResult> {
  return runInContainer({ image, user, command, entrypoint: [], binds: [`${PROBE_HOST_PATH}:${PROBE}:ro`], timeoutSeconds, ...(platform ? { platform } : {}) });
}

export function parseSnapshot(stdout: string): Snapshot {
  const out: Snapshot = { uid: '', gid: '', modes: {}, files: {}, setid: [], worldWritable: [] };
  const lines = (body: string) => body.split('\n').map((l) => l.trim()).filter(Boolean).sort();
  for (const section of ('\n' + stdout).split(MARK).slice(1)) {
    const newline = section.indexOf('\n');
    const header = section.slice(0, newline);
    const body = section.slice(newline + 1);
    if (header === 'uid') out.uid = body.trim();
    else if (header === 'gid') out.gid = body.trim();
    else if (header === 'setid') out.setid = lines(body);
    else if (header === 'writable') out.worldWritable = lines(body);
    else if (header === 'shell') out.shell = { exitCode: -1, stdout: body };
    else if (header === 'shell-exit' && out.shell) out.shell.exitCode = Number(body.trim());
    else if (header.startsWith('mode ')) out.modes[header.slice(5)] = body.trim();
    else if (header.startsWith('file ')) out.files[header.slice(5)] = body;
  }
  return out;
}
