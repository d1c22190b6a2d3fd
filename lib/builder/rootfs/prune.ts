/** Removes documentation and other unreadable weight from a runtime root filesystem. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Supports `*` within one path segment, which is all the prune lists need. */
function expand(rootfs: string, pattern: string): string[] {
  let matches = [rootfs];
  for (const segment of pattern.split('/').filter(Boolean)) {
    const re = new RegExp('^' + segment.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*') + '$');
    matches = matches.flatMap((dir) => {
      if (!segment.includes('*')) return fs.existsSync(path.join(dir, segment)) ? [path.join(dir, segment)] : [];
      if (!isRealDirectory(dir)) return [];
      return fs.readdirSync(dir).filter((e) => re.test(e)).map((e) => path.join(dir, e));
    });
  }
  return matches;
}

const isRealDirectory = (p: string) => {
  const s = fs.lstatSync(p, { throwIfNoEntry: false });
  return !!s && s.isDirectory();
};

export function prune(rootfs: string, patterns: readonly string[]): number {
  let removed = 0;
  for (const pattern of patterns) {
    for (const match of expand(rootfs, pattern)) {
      fs.rmSync(match, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
