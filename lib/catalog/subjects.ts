/**
 * From an ImageRef to what the activities need to work on it: its definition
 * (read fresh from the catalog, so a fixed definition is picked up by an
 * on-call retry), the spec of its release and variant, its release's lock
 * file, the repository and the tag.
 */
import { type Definition } from '../../domain/catalog/definition';
import { effectiveSpec, type VariantSpec } from '../../domain/catalog/effective';
import { findDefinition, lockFileFor } from '../../domain/catalog/load';
import type { Config } from '../../domain/config';
import type { CatalogImageRef, ImageRef } from '../../domain/image';
import type { Architecture } from '../../domain/platform';
import { repositoryOf } from '../context';

export interface CatalogSubject {
  image: CatalogImageRef;
  definition: Definition;
  definitionFile: string;
  lockFile: string;
  spec: VariantSpec;
  repository: string;
  tag: string;
}

/** `architecture`: whose spec (paths per architecture); the definition's first when absent. */
export function catalogSubject(config: Config, image: ImageRef, architecture?: Architecture): CatalogSubject {
  if (image.kind !== 'catalog') throw new Error(`${image.name} is a customization, not a catalog image`);
  const { definition, file } = findDefinition(config.catalogDir, image.name);
  const spec = effectiveSpec(definition, image.release, image.variant, architecture);
  return {
    image,
    definition,
    definitionFile: file,
    lockFile: lockFileFor(file, image.release),
    spec,
    repository: repositoryOf(config, definition.name),
    tag: spec.tag,
  };
}
