/**
 * Writes the dpkg database of an image whose packages were unpacked without
 * dpkg (runtime images): `/var/lib/dpkg/status` with every package marked
 * installed, and `info/<pkg>.list` / `.md5sums`. This is the metadata Trivy,
 * Grype and Syft read, and what our own SBOM is generated from.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebContents } from './debFile';

const controlField = (control: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(control)?.[1]?.trim();

/** dpkg's status stanza: the control fields with `Status` right after `Package`. */
export function statusStanza(control: string): string {
  const lines = control.trimEnd().split('\n');
  const packageLine = lines.findIndex((l) => /^Package:/i.test(l));
  lines.splice(packageLine + 1, 0, 'Status: install ok installed');
  return lines.join('\n') + '\n';
}

/** dpkg names info files `<pkg>:<arch>` for Multi-Arch: same packages. */
export function infoName(control: string): string {
  const name = controlField(control, 'Package') ?? '';
  const arch = controlField(control, 'Architecture');
  return controlField(control, 'Multi-Arch') === 'same' && arch ? `${name}:${arch}` : name;
}

export function writeDpkgDatabase(rootfs: string, debs: readonly DebContents[]): void {
  const dpkg = path.join(rootfs, 'var/lib/dpkg');
  const info = path.join(dpkg, 'info');
  fs.mkdirSync(info, { recursive: true });
  const sorted = [...debs].sort((a, b) => infoName(a.control).localeCompare(infoName(b.control)));
  fs.writeFileSync(path.join(dpkg, 'status'), sorted.map((d) => statusStanza(d.control)).join('\n'));
  for (const deb of sorted) {
    const name = infoName(deb.control);
    fs.writeFileSync(path.join(info, `${name}.list`), deb.files.join('\n') + '\n');
    if (deb.md5sums) fs.writeFileSync(path.join(info, `${name}.md5sums`), deb.md5sums);
  }
}
