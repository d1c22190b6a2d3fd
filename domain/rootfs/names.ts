/**
 * Tar entry names as an image path: `./usr/bin/x`, `usr/bin/x` and
 * `./usr/bin/x/` (a directory) are `/usr/bin/x`; `./` is the root. Anything
 * that could point outside the tree, or be read two ways, is refused rather
 * than repaired: an absolute name, a `..` or `.` segment, an empty segment
 * (`a//b`), a NUL or a backslash-free name longer than PATH_MAX.
 */
export const PATH_MAX = 4096;

export type NameCheck = { ok: true; path: string } | { ok: false; problem: string };

export function imagePathOf(name: string): NameCheck {
  if (name.length === 0) return { ok: false, problem: 'is empty' };
  if (name.length > PATH_MAX) return { ok: false, problem: `is ${name.length} characters long; at most ${PATH_MAX} are allowed` };
  if (name.includes('\0')) return { ok: false, problem: 'contains a NUL character' };
  if (name.startsWith('/')) return { ok: false, problem: 'is absolute (starts with "/")' };
  let rest = name.startsWith('./') ? name.slice(2) : name === '.' ? '' : name;
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (rest === '') return { ok: true, path: '/' };
  for (const segment of rest.split('/')) {
    if (segment === '..') return { ok: false, problem: 'climbs out with ".."' };
    if (segment === '.' || segment === '') return { ok: false, problem: 'has an empty or "." segment' };
  }
  return { ok: true, path: `/${rest}` };
}

export const parentOf = (p: string): string => (p === '/' ? '/' : p.slice(0, p.lastIndexOf('/')) || '/');

/** Every proper ancestor of `p`, root first: `/usr/bin/x` -> `/`, `/usr`, `/usr/bin`. */
export function ancestorsOf(p: string): string[] {
  if (p === '/') return [];
  const out = ['/'];
  let at = 0;
  for (;;) {
    at = p.indexOf('/', at + 1);
    if (at < 0) return out;
    out.push(p.slice(0, at));
  }
}

/**
 * Orders paths so every directory comes before what it holds: component by
 * component, by code unit. The same order as comparing the components, one
 * pass over the characters with "/" below every other character.
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca === 0x2f) return -1;
    if (cb === 0x2f) return 1;
    return ca - cb;
  }
  return a.length - b.length;
}
