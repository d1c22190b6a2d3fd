/**
 * The image definition format (catalog/<name>.yaml), modeled on apko's
 * ImageConfiguration and Docker Hardened Images definitions. A definition
 * holds what both variants share; `variants.runtime` / `variants.dev`
 * override it. domain/catalog/effective.ts merges them.
 */
import { z } from 'zod';
import { ownRecord } from '../schema/ownRecord';
import { RELEASES, type Release } from '../debian/releases';
import { ImageNameSchema } from '../image';
import { RESERVED_ANNOTATIONS } from '../oci/image';
import { patternProblem } from './testPattern';
import { ARCHITECTURES, ArchitectureSchema } from '../platform';
import { withKnownPlaceholders } from './architectureValues';

/** Annotations a definition or customization may set: anything but the ones the builder owns. */
export const AnnotationsSchema = ownRecord(z.string().min(1).max(256), z.string()).superRefine((annotations, ctx) => {
  for (const key of Object.keys(annotations)) {
    if (RESERVED_ANNOTATIONS.includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `${key} is set by the builder (it names the base, the lock or the variant) and cannot be given here` });
  }
});

export const PackageNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.+-]+$/, 'is not a Debian package name (lowercase letters, digits, ".", "+", "-")');

/**
 * Absolute, normalized, and inside the image: no `..`, no `//`, no trailing
 * slash; checked as each architecture expands it (`${dynamicLoader}` is a
 * whole path, architectureValues.ts).
 */
export const ImagePathSchema = z
  .string()
  .refine((p) => ARCHITECTURES.every((a) => /^\/[^\0]*$/.test(withKnownPlaceholders(p, a))), 'must be an absolute path')
  .refine((p) => ARCHITECTURES.every((a) => {
    const expanded = withKnownPlaceholders(p, a);
    return expanded === '/' || !expanded.split('/').slice(1).some((s) => s === '' || s === '.' || s === '..');
  }), {
    message: 'must be normalized and stay inside the image root (no "..", ".", or empty segments)',
  });

export const FileModeSchema = z
  .string()
  .regex(/^[0-7]{3,4}$/, 'must be an octal mode such as "0644" or "1777"');

const AccountNameSchema = z.string().regex(/^[a-z_][a-z0-9_-]*$/, 'is not a valid user or group name').max(32);
const IdSchema = z.number().int().min(0).max(4294967294);
/** A user or group given by name (from accounts or the image) or by numeric id. */
export const OwnerSchema = z.union([AccountNameSchema, IdSchema]);

export const GroupSchema = z.strictObject({ name: AccountNameSchema, gid: IdSchema, members: z.array(AccountNameSchema).default([]) });
export const UserSchema = z.strictObject({
  name: AccountNameSchema,
  uid: IdSchema,
  gid: IdSchema,
  home: ImagePathSchema.optional(),
  shell: ImagePathSchema.default('/sbin/nologin'),
  gecos: z.string().regex(/^[^:\n]*$/, 'must not contain ":" or newlines').default(''),
});

export const AccountsSchema = z.strictObject({
  groups: z.array(GroupSchema).default([]),
  users: z.array(UserSchema).default([]),
  runAs: OwnerSchema.optional(),
});

const DirectoryPath = z.strictObject({
  path: ImagePathSchema,
  type: z.literal('directory'),
  mode: FileModeSchema.default('0755'),
  owner: OwnerSchema.default(0),
  group: OwnerSchema.optional(),
});
const FilePath = z.strictObject({
  path: ImagePathSchema,
  type: z.literal('file'),
  content: z.string(),
  mode: FileModeSchema.default('0644'),
  owner: OwnerSchema.default(0),
  group: OwnerSchema.optional(),
});
const SymlinkPath = z.strictObject({
  path: ImagePathSchema,
  type: z.literal('symlink'),
  target: z.string().min(1).regex(/^[^\0]+$/),
});
export const PathSchema = z.discriminatedUnion('type', [DirectoryPath, FilePath, SymlinkPath]);
export type PathEntry = z.infer<typeof PathSchema>;

/** A test's expected-output pattern: RE2 semantics, linear-time matching (testPattern.ts), checked here. */
const TestPatternSchema = z.string().max(1000).superRefine((source, ctx) => {
  const problem = patternProblem(source);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const CommandTest = z.strictObject({
  name: z.string().min(1),
  command: z.array(z.string()).min(1),
  /** Run with the image's own user unless set (e.g. "0" to check something as root). */
  user: z.string().optional(),
  env: ownRecord(z.string(), z.string()).default({}),
  exitCode: z.number().int().min(0).max(255).default(0),
  stdout: z.string().optional(),
  stdoutMatches: TestPatternSchema.optional(),
  stderrMatches: TestPatternSchema.optional(),
  timeoutSeconds: z.number().int().min(1).max(600).default(30),
});
const FileTest = z.strictObject({
  name: z.string().min(1),
  file: ImagePathSchema,
  exists: z.boolean().default(true),
  mode: FileModeSchema.optional(),
  contains: z.string().optional(),
});
const MetadataTest = z.strictObject({
  name: z.string().min(1),
  metadata: z.strictObject({
    user: z.string().optional(),
    env: ownRecord(z.string(), z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    workdir: z.string().optional(),
  }),
});
export const ImageTestSchema = z.union([CommandTest, FileTest, MetadataTest]);

/**
 * How a runtime image's packages are split into layers (apko's `layering`):
 * `origin` groups packages by Debian source package, `budget` layers at most
 * (plus one for what the definition adds), so a patch of one source package
 * changes one layer; `single` is one layer holding everything.
 */
export const LayeringSchema = z.discriminatedUnion('strategy', [
  z.strictObject({ strategy: z.literal('origin'), budget: z.number().int().min(1).max(64).default(8) }),
  z.strictObject({ strategy: z.literal('single') }),
]);
export type Layering = z.infer<typeof LayeringSchema>;
export type ImageTest = z.infer<typeof ImageTestSchema>;

/** Everything a variant may override. */
const VariantFields = {
  description: z.string().optional(),
  packages: z
    .strictObject({
      include: z.array(PackageNameSchema).default([]),
      exclude: z.array(PackageNameSchema).default([]),
    })
    .optional(),
  /** Paths (globs ending in /*) removed from package contents, e.g. man pages. */
  prune: z.array(z.string().regex(/^\/[^\0]*$/, 'must be an absolute path or glob')).optional(),
  accounts: AccountsSchema.optional(),
  environment: ownRecord(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not an environment variable name'), z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  cmd: z.array(z.string()).optional(),
  workdir: ImagePathSchema.optional(),
  paths: z.array(PathSchema).optional(),
  labels: ownRecord(z.string(), z.string()).optional(),
  annotations: AnnotationsSchema.optional(),
  tests: z.array(ImageTestSchema).optional(),
  /** Runtime images: the only paths that keep a setuid or setgid bit (none by default; the bits are cleared everywhere else). */
  allowSetid: z.array(ImagePathSchema).max(100).optional(),
  layering: LayeringSchema.optional(),
};

export const VariantOverrideSchema = z.strictObject(VariantFields);
export type VariantOverride = z.infer<typeof VariantOverrideSchema>;

const VariantOverrides = z.strictObject({ runtime: VariantOverrideSchema.optional(), dev: VariantOverrideSchema.optional() });

/**
 * What one Debian release changes: package names that differ (`libssl3` in
 * bookworm, `libssl3t64` in trixie), version checks in tests, and the same
 * per variant (`releases.bookworm.variants.dev`).
 */
export const ReleaseOverrideSchema = z.strictObject({ ...VariantFields, variants: VariantOverrides.optional() });
export type ReleaseOverride = z.infer<typeof ReleaseOverrideSchema>;

/** Every release tempered builds, when a definition does not narrow them. */
const ALL_RELEASES = Object.fromEntries(RELEASES.map((r) => [r, {}])) as Record<Release, ReleaseOverride>;

export const DefinitionSchema = z.strictObject({
  ...VariantFields,
  name: ImageNameSchema,
  description: z.string().min(1),
  packages: VariantFields.packages.unwrap(),
  variants: VariantOverrides.default({}),
  /**
   * The releases the image is built for, each with its overrides (`{}` for
   * none): both when absent. Each release has its own lock
   * (`<name>.<release>.lock.json`), workflows and tags (`<release>`,
   * `<release>-dev`; the newest also `latest`, `latest-dev`).
   */
  releases: z
    .strictObject(Object.fromEntries(RELEASES.map((r) => [r, ReleaseOverrideSchema.optional()])) as Record<Release, z.ZodOptional<typeof ReleaseOverrideSchema>>)
    .refine((r) => Object.values(r).some((o) => o !== undefined), { error: 'must name at least one release' })
    .default(ALL_RELEASES),
  /**
   * The architectures the image is built for (both when absent), each from
   * its own packages; paths that differ per architecture use `${arch}` and
   * `${multiarch}` (architectureValues.ts).
   */
  architectures: z
    .array(ArchitectureSchema)
    .min(1)
    .max(ARCHITECTURES.length)
    .refine((a) => new Set(a).size === a.length, { error: 'lists an architecture twice' })
    .optional(),
  /** Replaced by `releases`: an image's tags are its release's name. */
  tag: z.never({ error: 'is no longer a definition field: a release\'s images are tagged <release> and <release>-dev (and latest for the newest); list the releases under `releases`' }).optional(),
  suites: z.never({ error: 'is no longer a definition field: a release\'s suites are <release>, <release>-updates and <release>-security' }).optional(),
});
export type Definition = z.infer<typeof DefinitionSchema>;

/** The releases a definition is built for, newest first. */
export function definitionReleases(definition: Definition): Release[] {
  return RELEASES.filter((r) => definition.releases[r] !== undefined);
}
