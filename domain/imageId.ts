/**
 * Image identity without validation: the names an image has in Temporal
 * (workflow ids) and in the registry, as pure functions with no schema
 * library, so the CLI can name images without loading zod. The schemas that
 * validate an ImageRef from outside are in image.ts (which re-exports this).
 */

export const VARIANTS = ['runtime', 'dev'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Debian package-name syntax, which image and customization names also follow. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9.+-]*$/;

export type ImageRef = { kind: 'catalog'; name: string; variant: Variant } | { kind: 'custom'; name: string };
export type CatalogImageRef = Extract<ImageRef, { kind: 'catalog' }>;

export function workflowIdFor(image: ImageRef): string {
  return image.kind === 'catalog' ? `image:${image.name}:${image.variant}` : `custom:${image.name}`;
}

/** Child workflow id of one cascade step: a repeat for the same base digest is a no-op. */
export function cascadeWorkflowId(customName: string, baseDigest: string): string {
  return `cascade:${customName}:${digestShort(baseDigest)}`;
}

/** Workflow id of the coordinator of one base digest's cascade: `cascade:<name>:<variant>:<digest12>`. */
export function cascadeCoordinatorId(base: CatalogImageRef, baseDigest: string): string {
  return `cascade:${base.name}:${base.variant}:${digestShort(baseDigest)}`;
}

export function displayName(image: ImageRef): string {
  return image.kind === 'catalog' ? `${image.name}:${image.variant}` : `custom:${image.name}`;
}

export function digestShort(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** `host:5000/a/b:tag@sha256:…` -> repository `host:5000/a/b`, tag `tag`. A colon before the last slash is a port. */
export function splitReference(reference: string): { repository: string; tag?: string } {
  const withoutDigest = reference.split('@')[0] ?? reference;
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > withoutDigest.lastIndexOf('/')) return { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
  return { repository: withoutDigest };
}
