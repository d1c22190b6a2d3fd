/**
 * Image identity: how an image is named in Temporal (workflow ids, search
 * attributes) and in the registry (repository, tag). Pure and shared by
 * workflows, activities and the CLI, so the three can never disagree.
 */
import { z } from 'zod';

export const VARIANTS = ['runtime', 'dev'] as const;
export const VariantSchema = z.enum(VARIANTS);
export type Variant = z.infer<typeof VariantSchema>;

/** Debian package-name syntax, which image and customization names also follow. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9.+-]*$/;
export const ImageNameSchema = z
  .string()
  .regex(NAME_PATTERN, 'must be lowercase letters, digits, ".", "+" or "-", starting with a letter or digit')
  .max(63);

export const ImageRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('catalog'), name: ImageNameSchema, variant: VariantSchema }),
  z.object({ kind: z.literal('custom'), name: ImageNameSchema }),
]);
export type ImageRef = z.infer<typeof ImageRefSchema>;
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

/** Parses `image:base:runtime`, `custom:app`, or the CLI shorthands `base`, `base:dev`, `base:runtime`. */
export function parseImageArgument(text: string): ImageRef {
  const parts = text.split(':');
  const [head, second, third] = parts;
  if (head === 'image' && second && third && parts.length === 3) {
    return ImageRefSchema.parse({ kind: 'catalog', name: second, variant: third });
  }
  if (head === 'custom' && second && parts.length === 2) return ImageRefSchema.parse({ kind: 'custom', name: second });
  if (head && parts.length === 1) return ImageRefSchema.parse({ kind: 'catalog', name: head, variant: 'runtime' });
  if (head && second && parts.length === 2) return ImageRefSchema.parse({ kind: 'catalog', name: head, variant: second });
  throw new Error(`"${text}" is not an image: use NAME, NAME:VARIANT, image:NAME:VARIANT or custom:NAME`);
}

export function displayName(image: ImageRef): string {
  return image.kind === 'catalog' ? `${image.name}:${image.variant}` : `custom:${image.name}`;
}

export function digestShort(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

export const DigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>');

/** `host:5000/a/b:tag@sha256:…` -> repository `host:5000/a/b`, tag `tag`. A colon before the last slash is a port. */
export function splitReference(reference: string): { repository: string; tag?: string } {
  const withoutDigest = reference.split('@')[0] ?? reference;
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > withoutDigest.lastIndexOf('/')) return { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
  return { repository: withoutDigest };
}
