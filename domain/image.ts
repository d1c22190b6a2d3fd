/**
 * Image identity: how an image is named in Temporal (workflow ids, search
 * attributes) and in the registry (repository, tag). Pure and shared by
 * workflows, activities and the CLI, so the three can never disagree. The
 * names themselves are in imageId.ts (no schema library); this module adds
 * the schemas that validate them from outside.
 */
import { z } from 'zod';
import { NEWEST_RELEASE, type Release, RELEASES } from './debian/releases';
import { type ImageRef, NAME_PATTERN, VARIANTS } from './imageId';

export * from './imageId';

export const VariantSchema = z.enum(VARIANTS);
export const ImageNameSchema = z
  .string()
  .regex(NAME_PATTERN, 'must be lowercase letters, digits, ".", "+" or "-", starting with a letter or digit')
  .max(63);

export const ReleaseSchema = z.enum(RELEASES);

export const ImageRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('catalog'), name: ImageNameSchema, release: ReleaseSchema, variant: VariantSchema }),
  z.object({ kind: z.literal('custom'), name: ImageNameSchema }),
]);
// The schema parses exactly the identity type, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameShape: Same<z.infer<typeof ImageRefSchema>, ImageRef> = true;

/**
 * Parses what people and scripts type for an image:
 * - `image:NAME:RELEASE:VARIANT`, `custom:NAME` (the workflow ids);
 * - `NAME:TAG` with the tags images are published under: `python:trixie`,
 *   `python:bookworm-dev`, `python:latest`, `python:latest-dev`;
 * - `NAME` (the newest release's runtime image) and `NAME:VARIANT`
 *   (`python:dev`: the newest release's dev image). The newest release is
 *   the newest the image is built for when `newestOf` knows it (a catalog
 *   image built for bookworm only is `NAME:bookworm`), else trixie.
 */
export function parseImageArgument(text: string, newestOf: (name: string) => Release | undefined = () => undefined): ImageRef {
  const parts = text.split(':');
  const [head, second, third, fourth] = parts;
  const catalog = (name: string, release: string, variant: string) => ImageRefSchema.parse({ kind: 'catalog', name, release, variant });
  if (head === 'image' && second && third && fourth && parts.length === 4) return catalog(second, third, fourth);
  if (head === 'custom' && second && parts.length === 2) return ImageRefSchema.parse({ kind: 'custom', name: second });
  const newest = (name: string) => newestOf(name) ?? NEWEST_RELEASE;
  if (head && parts.length === 1) return catalog(head, newest(head), 'runtime');
  if (head && second && parts.length === 2) {
    if ((VARIANTS as readonly string[]).includes(second)) return catalog(head, newest(head), second);
    const dev = second.endsWith('-dev');
    const release = dev ? second.slice(0, -'-dev'.length) : second;
    return catalog(head, release === 'latest' ? newest(head) : release, dev ? 'dev' : 'runtime');
  }
  throw new Error(`"${text}" is not an image: use NAME, NAME:TAG (trixie, bookworm-dev, latest), image:NAME:RELEASE:VARIANT or custom:NAME`);
}

export const DigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>');
