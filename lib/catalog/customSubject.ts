/**
 * From a customization's ImageRef to what the activities need to work on it:
 * the customization (read fresh, so a fixed definition is picked up by an
 * on-call retry), its base's catalog subject, and where it is published: the
 * base's repository, tag `<base tag>-<tagSuffix>`.
 */
import type { Config } from '../../domain/config';
import { customTag } from '../../domain/customization/checks';
import { customLockFileFor, findCustomization, type LoadedCustomization } from '../../domain/customization/load';
import type { ImageRef } from '../../domain/image';
import { InputError } from '../../domain/schema/errors';
import { type CatalogSubject, catalogSubject } from './subjects';

export interface CustomSubject {
  image: { kind: 'custom'; name: string };
  loaded: LoadedCustomization;
  lockFile: string;
  base: CatalogSubject;
  repository: string;
  tag: string;
}

export function customSubject(config: Config, image: ImageRef): CustomSubject {
  if (image.kind !== 'custom') throw new Error(`${image.name} is a catalog image, not a customization`);
  const loaded = findCustomization(config.customizationsDir, image.name);
  const { base: baseRef, tagSuffix } = loaded.customization;
  let base: CatalogSubject;
  try {
    base = catalogSubject(config, { kind: 'catalog', name: baseRef.image, release: baseRef.release, variant: baseRef.variant });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError(loaded.file, [{ field: 'base.image', problem: `"${baseRef.image}" is not usable: ${err.message}` }]);
  }
  return {
    image,
    loaded,
    lockFile: customLockFileFor(loaded.file),
    base,
    repository: base.repository,
    tag: customTag(base.tag, tagSuffix),
  };
}
