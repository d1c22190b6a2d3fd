/**
 * The packages of a published image as its signed CycloneDX attestation
 * lists them (verified with tempered's public key first): what a changelog
 * and `tempered diff` compare. Any published digest has one, also those
 * published before changelogs existed; nothing is pulled but the
 * SBOM attestation itself.
 */
import { PredicateType } from '../../domain/attest/predicateTypes';
import type { PackageVersion } from '../../domain/changelog/packageDiff';
import { installedFromSbom } from '../../domain/sbom/cyclonedx';
import type { RegistryClient } from '../oci/registry';
import { verifiedPredicate } from '../signing/verify';

export async function publishedPackages(registry: RegistryClient, repository: string, digest: string, publicKeyPem: string | Buffer): Promise<PackageVersion[]> {
  const sbom = await verifiedPredicate({ registry, repository, reference: digest, publicKeyPem, predicateType: PredicateType.cyclonedx });
  return installedFromSbom(sbom).map(({ name, version, architecture, source }) => ({ name, version, architecture, source }));
}
