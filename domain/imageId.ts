/**
 * Image identity without validation: the names an image has in Temporal
 * (workflow ids) and in the registry, as pure functions with no schema
 * library, so the CLI can name images without loading zod. The schemas that
 * validate an ImageRef from outside are in image.ts (which re-exports this).
 */

import { NEWEST_RELEASE, type Release } from './debian/releases';

export const VARIANTS = ['runtime', 'dev'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Debian package-name syntax, which image and customization names also follow. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9.+-]*$/;

/** A catalog image is one definition built for one Debian release, in one variant; a customization has its own name. */
export type ImageRef = { kind: 'catalog'; name: string; release: Release; variant: Variant } | { kind: 'custom'; name: string };
export type CatalogImageRef = Extract<ImageRef, { kind: 'catalog' }>;

/** `image:<name>:<release>:<variant>` (`image:python:trixie:dev`), `custom:<name>`. */
export function workflowIdFor(image: ImageRef): string {
  return image.kind === 'catalog' ? `image:${image.name}:${image.release}:${image.variant}` : `custom:${image.name}`;
}

/** The tag a catalog image is published under: `trixie`, `trixie-dev`. */
export function releaseTag(release: string, variant: Variant): string {
  return variant === 'dev' ? `${release}-dev` : release;
}

/** The tags a catalog image moves when it publishes: its release's, and `latest` / `latest-dev` for the newest release. */
export function publishedTags(image: CatalogImageRef, newest: Release = NEWEST_RELEASE): string[] {
  return [releaseTag(image.release, image.variant), ...(image.release === newest ? [releaseTag('latest', image.variant)] : [])];
}

/** Child workflow id of one cascade step: a repeat for the same base digest is a no-op. */
export function cascadeWorkflowId(customName: string, baseDigest: string): string {
  return `cascade:${customName}:${digestShort(baseDigest)}`;
}

/** Workflow id of the coordinator of one base digest's cascade: `cascade:<name>:<release>:<variant>:<digest12>`. */
export function cascadeCoordinatorId(base: CatalogImageRef, baseDigest: string): string {
  return `cascade:${base.name}:${base.release}:${base.variant}:${digestShort(baseDigest)}`;
}

/** The coordinator id histories recorded before releases hold (`cascade:<name>:<variant>:<digest12>`); see Patch.releaseIds. */
export function legacyCascadeCoordinatorId(base: CatalogImageRef, baseDigest: string): string {
  return `cascade:${base.name}:${base.variant}:${digestShort(baseDigest)}`;
}

/**
 * An ImageRef as a workflow input holds it. Inputs recorded before releases
 * (running workflows `image:<name>:<variant>`, kept histories) name a catalog
 * image without one: those were bookworm images, and stay so.
 */
export type RecordedImageRef = ImageRef | { kind: 'catalog'; name: string; variant: Variant; release?: undefined };

export function withRelease<T extends RecordedImageRef>(image: T): T extends { kind: 'custom' } ? T : CatalogImageRef;
export function withRelease(image: RecordedImageRef): ImageRef {
  return image.kind === 'catalog' && image.release === undefined ? { ...image, release: 'bookworm' } : image;
}

/** `python:trixie`, `python:trixie-dev` (its name and tag), `custom:app`. */
export function displayName(image: ImageRef): string {
  return image.kind === 'catalog' ? `${image.name}:${releaseTag(image.release, image.variant)}` : `custom:${image.name}`;
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
