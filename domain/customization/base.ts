/**
 * The catalog image a customization is built on: its name, Debian release
 * and variant (`base: { image: python, release: trixie, variant: runtime }`).
 */
import { z } from 'zod';
import { ImageNameSchema, ReleaseSchema, VariantSchema } from '../image';

export const CustomizationBaseSchema = z.strictObject({
  image: ImageNameSchema,
  /**
   * bookworm when absent: customizations written before tempered built two
   * releases were built on bookworm, and moving an application to another
   * Debian release is its owner's decision, never a default's.
   */
  release: ReleaseSchema.default('bookworm'),
  variant: VariantSchema.default('runtime'),
});
export type CustomizationBaseRef = z.infer<typeof CustomizationBaseSchema>;
