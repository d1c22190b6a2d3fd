/**
 * The base image of a customization, by digest: its manifest and config, and
 * the filesystem facts the build merges with (baseFilesystem.ts). Everything
 * is read from the published image, never from the catalog definition, so a
 * customization is built on exactly the bytes its provenance names.
 */
import * as path from 'node:path';
import { type GroupEntry, MINIMAL_GROUPS, MINIMAL_USERS, parseGroup, parsePasswd, type PasswdEntry } from '../../../domain/catalog/accounts';
import type { BaseImageConfig } from '../../../domain/customization/effective';
import { installedPackages } from '../../../domain/debian/installed';
import type { BinaryPackage } from '../../../domain/debian/packages';
import type { ImageManifest } from '../../../domain/oci/image';
import { platformManifestOf } from '../../../domain/oci/imageIndex';
import { DEFAULT_ARCHITECTURE } from '../../../domain/platform';
import type { CustomSubject } from '../../catalog/customSubject';
import type { ActivityContext } from '../../context';
import { pullByDigest } from '../../oci/push';
import { STATUS_D } from '../../../domain/rootfs/dpkgStatus';
import { type BaseFilesystem, baseFilesystem, DPKG_STATUS } from './baseFilesystem';
import { TemperedError } from '../../../domain/errors';

export interface BaseImage {
  repository: string;
  tag: string;
  digest: string;
  /** `registry/repository:tag`, the org.opencontainers.image.base.name annotation. */
  name: string;
  manifest: ImageManifest;
  config: BaseImageConfig;
  filesystem: BaseFilesystem;
}

export class BaseNotPublishedError extends TemperedError<'BASE_NOT_PUBLISHED'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BASE_NOT_PUBLISHED', message, options);
  }
}

/**
 * The digest the base's tag points at now: what a customization's first cycle
 * builds on before any cascade has named a digest. Not published yet is
 * transient: the base's first cycle will publish it, and the activity retries.
 */
export async function publishedBaseDigest(ctx: ActivityContext, subject: CustomSubject): Promise<string> {
  const digest = await ctx.registry.resolve(subject.repository, subject.base.tag);
  if (!digest) {
    throw new BaseNotPublishedError(`${ctx.registry.host}/${subject.repository}:${subject.base.tag} is not published yet; ${subject.image.name} builds once it is`);
  }
  return digest;
}

/**
 * The image a customization builds on, when its base's tag names an image
 * index: the amd64 manifest (customizations are built for amd64; the index
 * is what the cascade and provenance name, the platform manifest what the
 * layers and `org.opencontainers.image.base.digest` come from).
 */
export async function basePlatformDigest(ctx: ActivityContext, repository: string, digest: string): Promise<string> {
  if (!ctx.blobs.has(digest)) {
    const fetched = await ctx.registry.getManifest(repository, digest);
    if (!fetched) throw new Error(`${ctx.registry.host}/${repository}@${digest} not found`);
    ctx.blobs.put(fetched.body);
  }
  const document = ctx.blobs.readJson<{ manifests?: { digest: string; platform?: { architecture?: string } }[] }>(digest);
  if (!document.manifests) return digest;
  const platform = platformManifestOf({ manifests: document.manifests }, DEFAULT_ARCHITECTURE);
  if (!platform) throw new Error(`${ctx.registry.host}/${repository}@${digest} is an image index without a ${DEFAULT_ARCHITECTURE} manifest`);
  return platform;
}

export async function openBaseImage(ctx: ActivityContext, subject: CustomSubject, named: string): Promise<BaseImage> {
  const digest = await basePlatformDigest(ctx, subject.repository, named);
  const filesystem = await baseFilesystemOf(ctx, subject.repository, digest);
  const manifest = ctx.blobs.readJson<ImageManifest>(digest);
  return {
    repository: subject.repository,
    tag: subject.base.tag,
    digest,
    name: `${ctx.registry.host}/${subject.repository}:${subject.base.tag}`,
    manifest,
    config: ctx.blobs.readJson<BaseImageConfig>(manifest.config.digest),
    filesystem,
  };
}

/** The base's filesystem facts, pulling its layers first when this worker does not have them. */
export async function baseFilesystemOf(ctx: ActivityContext, repository: string, named: string): Promise<BaseFilesystem> {
  const digest = await basePlatformDigest(ctx, repository, named);
  await pullByDigest(ctx.registry, repository, ctx.blobs, digest);
  return baseFilesystem(ctx.blobs, path.join(ctx.paths.images, 'base-filesystems'), digest);
}

const installedCache = new WeakMap<BaseFilesystem, BinaryPackage[]>();

/** The base's installed packages, from its dpkg status (parsed once per base). */
export function baseInstalled(fs: BaseFilesystem): BinaryPackage[] {
  let installed = installedCache.get(fs);
  if (!installed) {
    const statusD = Object.entries(fs.files).filter(([p]) => p.startsWith(`${STATUS_D}/`)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, text]) => text ?? '');
    installed = installedPackages([fs.files[DPKG_STATUS] ?? '', ...statusD].filter((t) => t.trim()).join('\n'));
    installedCache.set(fs, installed);
  }
  return installed;
}

/** The base's accounts as its /etc/passwd and /etc/group say (root and nobody when it has none, as the builder assumes). */
export function baseAccounts(fs: BaseFilesystem): { users: PasswdEntry[]; groups: GroupEntry[] } {
  const passwd = fs.files['/etc/passwd'];
  const group = fs.files['/etc/group'];
  return {
    users: passwd !== undefined ? parsePasswd(passwd) : [...MINIMAL_USERS],
    groups: group !== undefined ? parseGroup(group) : [...MINIMAL_GROUPS],
  };
}
