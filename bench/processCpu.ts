/**
 * CPU seconds by process name over a window: every process's utime + stime
 * plus those of its reaped children (/proc/<pid>/stat), grouped by command
 * name. A process that started and ended inside the window and was reaped by
 * a process that lives on (runc by containerd-shim, a probe by its shim)
 * counts in its parent; what no living process reaped is not seen.
 */
import * as fs from 'node:fs';

const TICKS = 100;

type Sample = Map<string, { comm: string; seconds: number }>;

/** The fields of a /proc/<pid>/stat text after the command name (which may hold spaces), from the state on. */
const statFields = (stat: string): number[] => stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);

/** utime + stime + cutime + cstime of a /proc/<pid>/stat text (fields 14-17; 11-14 after the state), in seconds. */
export function cpuSecondsOf(stat: string): number {
  const fields = statFields(stat);
  return ((fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0)) / TICKS;
}

export function sampleProcesses(): Sample {
  const sample: Sample = new Map();
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Whatever runs as pid 1 (systemd, a sandbox's init) reaps the orphans: the engine's shims and their runc.
    const comm = pid === '1' ? '(init)' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // The start time tells a reused pid from the process that had it.
    sample.set(`${pid}:${statFields(stat)[19]}`, { comm, seconds: cpuSecondsOf(stat) });
  }
  return sample;
}

/** CPU seconds per command name between two samples, most first; names in `group` are summed under one label. */
export function cpuByName(before: Sample, after: Sample, group: (comm: string) => string): { name: string; seconds: number }[] {
  const byName = new Map<string, number>();
  for (const [key, now] of after) {
    const used = now.seconds - (before.get(key)?.seconds ?? 0);
    if (used > 0) byName.set(group(now.comm), (byName.get(group(now.comm)) ?? 0) + used);
  }
  return [...byName].map(([name, seconds]) => ({ name, seconds })).sort((a, b) => b.seconds - a.seconds);
}

/** The parts of a stack, named for a reader. */
export function stackPart(comm: string): string {
  if (comm.startsWith('containerd-shim')) return 'containerd-shim (containers)';
  if (comm === 'dockerd' || comm === 'containerd' || comm === 'runc') return comm;
  if (comm === 'temporal') return 'temporal dev server';
  if (comm === 'docker-registry' || comm === 'registry') return 'registry';
  // Node names its main thread; the bench process holds the workers here.
  if (comm === 'node' || comm === 'MainThread') return 'node (workers, bench)';
  if (comm === '(init)') return 'reaped by init (container shims, runc)';
  if (/^(kworker|ksoftirqd|rcu_|migration|kdamond|kthreadd|kcompactd)/.test(comm)) return 'kernel threads';
  return `other: ${comm}`;
}
