/**
 * The customization format (catalog/customizations/<name>.yaml), modeled on
 * Docker Hardened Images customizations: a published tempered image plus
 * what one team needs on top (packages, files, CA certificates, accounts,
 * environment, entrypoint). Published into the base's repository as
 * `<base tag>-<tagSuffix>` and rebuilt whenever the base is patched.
 */
import { z } from 'zod';
import { ImageNameSchema, VariantSchema } from '../image';
import {
  AccountsSchema, FileModeSchema, ImagePathSchema, ImageTestSchema, OwnerSchema, PackageNameSchema,
} from '../catalog/definition';

/** A source file path relative to the customization's directory; never absolute, never climbing out. */
const RelativeSourceSchema = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/'), { message: 'must be relative to the customization directory (absolute host paths are refused)' })
  .refine((p) => !p.split('/').includes('..'), { message: 'must stay inside the customization directory (no "..")' });

export const CustomFileSchema = z
  .strictObject({
    path: ImagePathSchema,
    content: z.string().optional(),
    source: RelativeSourceSchema.optional(),
    mode: FileModeSchema.default('0644'),
    uid: OwnerSchema.default(0),
    gid: OwnerSchema.optional(),
  })
  .refine((f) => (f.content === undefined) !== (f.source === undefined), { message: 'give exactly one of content or source' });

export const CertificateSchema = z
  .strictObject({ name: z.string().regex(/^[A-Za-z0-9._-]+$/), content: z.string().optional(), source: RelativeSourceSchema.optional() })
  .refine((c) => (c.content === undefined) !== (c.source === undefined), { message: 'give exactly one of content or source' });

export const CustomizationSchema = z.strictObject({
  name: ImageNameSchema,
  description: z.string().min(1),
  base: z.strictObject({ image: ImageNameSchema, variant: VariantSchema.default('runtime') }),
  tagSuffix: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,60}$/, 'must be lowercase letters, digits, ".", "_" or "-"'),
  packages: z.array(PackageNameSchema).default([]),
  files: z.array(CustomFileSchema).default([]),
  certificates: z.array(CertificateSchema).default([]),
  accounts: AccountsSchema.optional(),
  environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not an environment variable name'), z.string()).default({}),
  entrypoint: z.array(z.string()).optional(),
  cmd: z.array(z.string()).optional(),
  workdir: ImagePathSchema.optional(),
  labels: z.record(z.string(), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
  tests: z.array(ImageTestSchema).default([]),
});
export type Customization = z.infer<typeof CustomizationSchema>;
