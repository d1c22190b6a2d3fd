/**
 * Definitions are written once for every architecture: a path that differs
 * per architecture names it with a placeholder, expanded in the spec of
 * each architecture's build.
 *
 *   ${arch}       the Debian architecture:  amd64, arm64
 *                 (JAVA_HOME: /usr/lib/jvm/java-21-openjdk-${arch})
 *   ${multiarch}  Debian's multiarch tuple: x86_64-linux-gnu, aarch64-linux-gnu
 *                 (/usr/lib/${multiarch}/libssl.so.3)
 *   ${dynamicLoader}  glibc's program interpreter: /lib64/ld-linux-x86-64.so.2,
 *                 /lib/ld-linux-aarch64.so.1
 *
 * Any other `${...}` is an error that names where it is: a typo must not
 * reach an image as a literal path.
 */
import { type Architecture, DYNAMIC_LOADERS, MULTIARCH_TUPLES } from '../platform';

const PLACEHOLDER = /\$\{([^}]*)\}/g;

export const PLACEHOLDERS = ['arch', 'multiarch', 'dynamicLoader'] as const;

export function architectureValues(arch: Architecture): Record<(typeof PLACEHOLDERS)[number], string> {
  return { arch, multiarch: MULTIARCH_TUPLES[arch], dynamicLoader: DYNAMIC_LOADERS[arch] };
}

/** `s` with the placeholders it knows expanded for `arch` and any other left as written (schema checks). */
export function withKnownPlaceholders(s: string, arch: Architecture): string {
  const values: Record<string, string> = architectureValues(arch);
  return s.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}

/** Every string in `value` (keys too) with the placeholders of `arch` expanded; `where` names the root in errors. */
export function expandForArchitecture<T>(value: T, arch: Architecture, where: string): T {
  const values: Record<string, string> = architectureValues(arch);
  const expand = (s: string, at: string): string =>
    s.replace(PLACEHOLDER, (whole, name: string) => {
      const v = values[name];
      if (v === undefined) throw new Error(`${at}: unknown placeholder ${whole} (known: ${PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')})`);
      return v;
    });
  const walk = (v: unknown, at: string): unknown => {
    if (typeof v === 'string') return expand(v, at);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${at}[${i}]`));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [expand(k, `${at}.${k}`), walk(item, `${at}.${k}`)]));
    }
    return v;
  };
  return walk(value, where) as T;
}
