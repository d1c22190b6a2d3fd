/**
 * The CycloneDX predicate: the BOM the scan stage produced, attested as is
 * (https://github.com/in-toto/attestation/blob/main/spec/predicates/cyclonedx.md:
 * the predicate IS the BOM, not a wrapper around it). Full schema validation
 * belongs to the stage that builds the BOM; here we only refuse something that
 * is plainly not a CycloneDX JSON document, so we never sign garbage.
 */
import { AttestationInputError } from './errors';

export interface CycloneDxBom {
  bomFormat: 'CycloneDX';
  specVersion: string;
  components?: unknown[];
  [key: string]: unknown;
}

export function cyclonedxPredicate(bom: unknown): CycloneDxBom {
  if (!bom || typeof bom !== 'object' || Array.isArray(bom)) throw new AttestationInputError('INVALID_SBOM', 'SBOM is not a JSON object');
  const b = bom as Record<string, unknown>;
  if (b.bomFormat !== 'CycloneDX') throw new AttestationInputError('INVALID_SBOM', `SBOM bomFormat is ${JSON.stringify(b.bomFormat)}, expected "CycloneDX"`);
  if (typeof b.specVersion !== 'string' || !/^1\.\d+$/.test(b.specVersion)) {
    throw new AttestationInputError('INVALID_SBOM', `SBOM specVersion ${JSON.stringify(b.specVersion)} is not a CycloneDX 1.x version`);
  }
  if (b.components !== undefined && !Array.isArray(b.components)) throw new AttestationInputError('INVALID_SBOM', 'SBOM components is not an array');
  return b as CycloneDxBom;
}

/** Components in a BOM, nested ones included (CycloneDX allows components inside components). */
export function countComponents(bom: unknown): number {
  const walk = (list: unknown): number =>
    Array.isArray(list) ? list.reduce<number>((n, c) => n + 1 + walk((c as { components?: unknown } | null)?.components), 0) : 0;
  return walk((bom as { components?: unknown } | null)?.components);
}
