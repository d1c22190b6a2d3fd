/**
 * dpkg's metadata for images whose packages were placed without dpkg: one
 * file per package under `/var/lib/dpkg/status.d/` (the distroless layout,
 * which syft, Trivy and Grype read), so each package's metadata lives in its
 * package's layer. The stanza is the package's own control file with
 * `Status: install ok installed` after `Package`, as dpkg writes it.
 */
export const STATUS_D = '/var/lib/dpkg/status.d';
export const STATUS_FILE = '/var/lib/dpkg/status';

const controlField = (control: string, name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(control)?.[1]?.trim();

export function statusStanza(control: string): string {
  const lines = control.trimEnd().split('\n');
  const packageLine = lines.findIndex((l) => /^Package:/i.test(l));
  lines.splice(packageLine + 1, 0, 'Status: install ok installed');
  return lines.join('\n') + '\n';
}

/** dpkg names per-package files `<pkg>:<arch>` for Multi-Arch: same packages. */
export function infoName(control: string): string {
  const name = controlField(control, 'Package') ?? '';
  const arch = controlField(control, 'Architecture');
  return controlField(control, 'Multi-Arch') === 'same' && arch ? `${name}:${arch}` : name;
}
