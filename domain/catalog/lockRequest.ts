/**
 * What a lock is resolved from: the release and architectures, and per
 * variant the packages asked for and left out. Its digest is stored in the lock (`resolvedFrom`), so a definition
 * whose package lists changed is never built from a lock made for the old
 * lists.
 */
import { canonicalJson, sha256Digest } from '../digest';
import type { Release } from '../debian/releases';
import type { Architecture } from '../platform';
import type { Definition } from './definition';
import { effectiveSpec, type VariantSpec } from './effective';

export interface VariantRequest {
  include: string[];
  exclude: string[];
  essential: boolean;
}

export interface LockRequest {
  release: Release;
  architectures: Architecture[];
  runtime: VariantRequest;
  dev: VariantRequest;
}

export function lockRequest(definition: Definition, release: Release): LockRequest {
  const runtime = effectiveSpec(definition, release, 'runtime');
  const dev = effectiveSpec(definition, release, 'dev');
  const request = (spec: VariantSpec): VariantRequest => ({ include: spec.packages.include, exclude: spec.packages.exclude, essential: spec.essential });
  return { release, architectures: runtime.architectures, runtime: request(runtime), dev: request(dev) };
}

export function lockRequestDigest(request: LockRequest): string {
  return sha256Digest(canonicalJson(request));
}
