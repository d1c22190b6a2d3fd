/**
 * What changed between two images' package sets, by binary package and
 * architecture (an image index lists each platform's packages): added,
 * removed, and changed with both versions and the source package. Read from
 * the images' SBOMs, so it works for any two digests, also of images
 * published before changelogs existed.
 */
import { compareVersions } from '../debian/version';

export interface PackageVersion {
  name: string;
  version: string;
  architecture: string;
  source: string;
}

export interface PackageChange {
  name: string;
  architecture: string;
  source: string;
  from: string;
  to: string;
  /** `upgrade` or `downgrade`, by Debian version order. */
  direction: 'upgrade' | 'downgrade';
}

export interface PackageChanges {
  added: PackageVersion[];
  removed: PackageVersion[];
  changed: PackageChange[];
}

const keyOf = (p: PackageVersion) => `${p.name}:${p.architecture}`;
const byName = (a: { name: string; architecture: string }, b: { name: string; architecture: string }) =>
  a.name.localeCompare(b.name) || a.architecture.localeCompare(b.architecture);
const only = ({ name, version, architecture, source }: PackageVersion): PackageVersion => ({ name, version, architecture, source });

export function diffPackages(before: readonly PackageVersion[], after: readonly PackageVersion[]): PackageChanges {
  const old = new Map(before.map((p) => [keyOf(p), p]));
  const next = new Map(after.map((p) => [keyOf(p), p]));
  const added = [...next.values()].filter((p) => !old.has(keyOf(p))).map(only).sort(byName);
  const removed = [...old.values()].filter((p) => !next.has(keyOf(p))).map(only).sort(byName);
  const changed: PackageChange[] = [];
  for (const [key, p] of next) {
    const was = old.get(key);
    if (!was || was.version === p.version) continue;
    changed.push({ name: p.name, architecture: p.architecture, source: p.source, from: was.version, to: p.version, direction: compareVersions(p.version, was.version) > 0 ? 'upgrade' : 'downgrade' });
  }
  return { added, removed, changed: changed.sort(byName) };
}

export function countChanges(changes: PackageChanges): number {
  return changes.added.length + changes.removed.length + changes.changed.length;
}
