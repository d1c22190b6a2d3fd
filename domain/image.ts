/**
 * Image identity: how an image is named in Temporal (workflow ids, search
 * attributes) and in the registry (repository, tag). Pure and shared by
 * workflows, activities and the CLI, so the three can never disagree. The
 * names themselves are in imageId.ts (no schema library); this module adds
 * the schemas that validate them from outside.
 */
import { z } from 'zod';
import { type ImageRef, NAME_PATTERN, VARIANTS } from './imageId';

export * from './imageId';

export const VariantSchema = z.enum(VARIANTS);
export const ImageNameSchema = z
  .string()
  .regex(NAME_PATTERN, 'must be lowercase letters, digits, ".", "+" or "-", starting with a letter or digit')
  .max(63);

export const ImageRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('catalog'), name: ImageNameSchema, variant: VariantSchema }),
  z.object({ kind: z.literal('custom'), name: ImageNameSchema }),
]);
// The schema parses exactly the identity type, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameShape: Same<z.infer<typeof ImageRefSchema>, ImageRef> = true;

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

export const DigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>');
