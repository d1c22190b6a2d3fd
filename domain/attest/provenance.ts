/**
 * SLSA provenance v1 (https://slsa.dev/spec/v1.0/provenance) for one image
 * build: what was asked for (the definition and the lock), what went in
 * (every .deb by sha256, and the base image of a customization), who built
 * it and in which Temporal workflow run.
 *
 * Every field comes from the input, never from the clock: the same build
 * gives the same predicate, so a retried sign activity recognizes the
 * attestation it already attached instead of adding another.
 */
import { z } from 'zod';
import { hexOf } from '../digest';
import { AttestationInputError } from './errors';

/** Identifies HOW tempered builds (apt-less rootfs from a lock, two variants); bump on incompatible change. */
export const TEMPERED_BUILD_TYPE = 'https://tempered.dev/buildtypes/debian-image/v1';
/** The builder id when none is configured; a deployment should name its own trust boundary. */
export const DEFAULT_BUILDER_ID = 'https://tempered.dev/builders/temporal-worker/v1';

const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>');
const Timestamp = z.iso.datetime({ offset: true });

const ProvenancePackageSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  architecture: z.string().min(1),
  /** Archive base URI the .deb came from (lock `archive`). */
  archive: z.string().min(1),
  /** Path of the .deb below the archive (lock `filename`). */
  filename: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits'),
});

export const ProvenanceInputSchema = z
  .object({
    /** The image definition or customization spec the build ran from, as parsed (plain JSON). */
    definition: z.record(z.string(), z.unknown()),
    lockDigest: Digest,
    /** How the build ran: not chosen by the definition's author, so internal, not external. */
    internal: z.object({
      image: z.string().min(1),
      /** The Debian release of a catalog image, or of a customization's base. */
      release: z.string().min(1).optional(),
      variant: z.string().min(1).optional(),
      cycle: z.number().int().nonnegative().optional(),
    }),
    packages: z.array(ProvenancePackageSchema),
    baseImage: z.object({ repository: z.string().min(1), tag: z.string().min(1).optional(), digest: Digest }).optional(),
    builderId: z.url(),
    builderVersion: z.record(z.string(), z.string()).optional(),
    invocation: z.object({ workflowId: z.string().min(1), runId: z.string().min(1) }),
    startedOn: Timestamp,
    finishedOn: Timestamp,
  })
  .refine((p) => Date.parse(p.startedOn) <= Date.parse(p.finishedOn), { path: ['finishedOn'], message: 'must not be before startedOn' });

export type ProvenanceInput = z.input<typeof ProvenanceInputSchema>;
export type ProvenancePackage = z.infer<typeof ProvenancePackageSchema>;

export interface ResourceDescriptor {
  uri: string;
  digest: { sha256: string };
  name: string;
}

export interface SlsaProvenanceV1 {
  buildDefinition: {
    buildType: string;
    externalParameters: { definition: Record<string, unknown>; lockDigest: string };
    internalParameters: { image: string; variant?: string; cycle?: number };
    resolvedDependencies: ResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string; version?: Record<string, string> };
    metadata: { invocationId: string; startedOn: string; finishedOn: string };
  };
}

export function buildProvenance(input: ProvenanceInput): SlsaProvenanceV1 {
  const parsed = ProvenanceInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AttestationInputError('INVALID_PROVENANCE_INPUT', `provenance input ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const p = parsed.data;
  const debs = [...p.packages]
    .sort((a, b) => cmp(a.name, b.name) || cmp(a.architecture, b.architecture) || cmp(a.version, b.version))
    .map((pkg): ResourceDescriptor => ({ uri: debUri(pkg), digest: { sha256: pkg.sha256 }, name: pkg.name }));
  const base: ResourceDescriptor[] = p.baseImage
    ? [{ uri: `oci://${p.baseImage.repository}${p.baseImage.tag ? `:${p.baseImage.tag}` : ''}`, digest: { sha256: hexOf(p.baseImage.digest) }, name: 'base-image' }]
    : [];
  return {
    buildDefinition: {
      buildType: TEMPERED_BUILD_TYPE,
      externalParameters: { definition: p.definition, lockDigest: p.lockDigest },
      internalParameters: dropUndefined({ image: p.internal.image, release: p.internal.release, variant: p.internal.variant, cycle: p.internal.cycle }),
      resolvedDependencies: [...base, ...debs],
    },
    runDetails: {
      builder: dropUndefined({ id: p.builderId, version: p.builderVersion }),
      metadata: {
        // The Temporal run that built the image: `temporal workflow show -w <id> -r <run>` opens its history.
        invocationId: `${p.invocation.workflowId}/${p.invocation.runId}`,
        startedOn: p.startedOn,
        finishedOn: p.finishedOn,
      },
    },
  };
}

function debUri(pkg: ProvenancePackage): string {
  return `${pkg.archive.replace(/\/+$/, '')}/${pkg.filename.replace(/^\/+/, '')}`;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
