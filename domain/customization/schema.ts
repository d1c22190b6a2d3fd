/**
 * The customization format (catalog/customizations/<name>.yaml), modeled on
 * Docker Hardened Images customizations: a published tempered image plus
 * what one team needs on top (packages, files, CA certificates, accounts,
 * environment, entrypoint). Published into the base's repository as
 * `<base tag>-<tagSuffix>` and rebuilt whenever the base is patched.
 *
 * This schema checks what one file can say about itself. What needs the
 * file system (source files, certificates) is checked in load.ts, and what
 * needs the base image (its accounts, its variant policy) in checks.ts.
 */
import { z } from 'zod';
import { ownRecord } from '../schema/ownRecord';
import { CustomizationBaseSchema } from './base';
import { ImageNameSchema } from '../image';
import { AccountsSchema, AnnotationsSchema, ImagePathSchema, ImageTestSchema, OwnerSchema, PackageNameSchema } from '../catalog/definition';

/** A source file path relative to the customization's directory; never absolute, never climbing out. */
export const RelativeSourceSchema = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/'), { message: 'must be relative to the customization directory (absolute host paths are refused)' })
  .refine((p) => !p.split('/').includes('..'), { message: 'must stay inside the customization directory (no "..")' })
  .refine((p) => !p.includes('\0'), { message: 'must not contain NUL' });

/**
 * A file mode as a quoted octal string. YAML reads an unquoted `0644` as the
 * decimal number 644, which would silently become mode 01204: refuse numbers.
 * Hardened images carry no setuid/setgid files and no world-writable files.
 */
export const CustomFileModeSchema = z
  .string({ error: 'must be a quoted octal string such as "0644" (unquoted, YAML reads 0644 as the decimal number 644)' })
  .regex(/^0?[0-7]{3}$/, 'must be an octal mode such as "0644" or "0755" (no setuid, setgid or sticky bit)')
  .refine((m) => (parseInt(m, 8) & 0o002) === 0, { message: 'must not be world-writable' });

export const CustomFileSchema = z
  .strictObject({
    path: ImagePathSchema.refine((p) => p !== '/', { message: 'must name a file, not the image root' }),
    content: z.string().optional(),
    source: RelativeSourceSchema.optional(),
    mode: CustomFileModeSchema.default('0644'),
    /** Owner: a user name (from the base image or this customization's accounts) or a numeric id. */
    uid: OwnerSchema.default(0),
    /** Group: a group name or a numeric id; the owner's primary group when absent. */
    gid: OwnerSchema.optional(),
  })
  .refine((f) => (f.content === undefined) !== (f.source === undefined), { message: 'give exactly one of content or source' });
export type CustomFile = z.infer<typeof CustomFileSchema>;

export const CertificateSchema = z
  .strictObject({
    /** Becomes /usr/local/share/ca-certificates/<name>.crt, where update-ca-certificates looks too. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/, 'must be letters, digits, ".", "_" or "-"'),
    content: z.string().optional(),
    source: RelativeSourceSchema.optional(),
  })
  .refine((c) => (c.content === undefined) !== (c.source === undefined), { message: 'give exactly one of content or source' });
export type Certificate = z.infer<typeof CertificateSchema>;

const uniqueBy = <T>(key: (t: T) => string) => (items: readonly T[]) => new Set(items.map(key)).size === items.length;

export const CustomizationSchema = z.strictObject({
  name: ImageNameSchema,
  description: z.string().min(1),
  base: CustomizationBaseSchema,
  tagSuffix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,60}$/, 'must be lowercase letters, digits, ".", "_" or "-"')
    // `<tag>-dev` is the dev variant's own tag.
    .refine((s) => s !== 'dev', { message: '"dev" is taken by the dev variant of every catalog image' }),
  packages: z.array(PackageNameSchema).default([]).refine(uniqueBy((p: string) => p), { message: 'lists a package twice' }),
  files: z.array(CustomFileSchema).default([]).refine(uniqueBy((f: CustomFile) => f.path), { message: 'names a path twice' }),
  certificates: z.array(CertificateSchema).default([]).refine(uniqueBy((c: Certificate) => c.name), { message: 'names a certificate twice' }),
  accounts: AccountsSchema.optional(),
  environment: ownRecord(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not an environment variable name'), z.string()).default({}),
  entrypoint: z.array(z.string()).optional(),
  cmd: z.array(z.string()).optional(),
  workdir: ImagePathSchema.optional(),
  labels: ownRecord(z.string(), z.string()).default({}),
  annotations: AnnotationsSchema.default({}),
  tests: z.array(ImageTestSchema).default([]),
  /** On a runtime base: the only paths of the extra packages that keep a setuid or setgid bit. */
  allowSetid: z.array(ImagePathSchema).max(100).optional(),
});
export type Customization = z.infer<typeof CustomizationSchema>;
