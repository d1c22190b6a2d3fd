/**
 * Package URLs for the two kinds of things tempered attests about: the
 * image (pkg:oci) and the Debian packages inside it (pkg:deb). Built with
 * packageurl-js so escaping follows the reference implementation that the
 * CycloneDX library uses too: a VEX product then matches the SBOM's purls.
 */
import { PackageURL } from 'packageurl-js';

/** `pkg:oci/<name>@sha256:<hex>?repository_url=<registry>/<repository>`; name is the repository's last segment. */
export function ociPurl(repositoryUrl: string, digest: string): string {
  const name = repositoryUrl.split('/').pop() ?? repositoryUrl;
  return new PackageURL('oci', undefined, name, digest, { repository_url: repositoryUrl }, undefined).toString();
}

export interface DebianPackageId {
  name: string;
  version: string;
  architecture: string;
}

/** `pkg:deb/debian/<name>@<version>?arch=<arch>&distro=debian-12`, as Debian scanners emit it. */
export function debianPurl(pkg: DebianPackageId, distro = 'debian-12'): string {
  return new PackageURL('deb', 'debian', pkg.name, pkg.version, { arch: pkg.architecture, distro }, undefined).toString();
}
