/**
 * What every activity shares in one worker process: configuration, the
 * registry client, the documents stages hand each other through it (locks,
 * build records, reports, SBOMs: cached in the state directory), and the
 * local blob store (a cache of the registry's blobs). Built once,
 * lazily, from the environment; tests build their own with other paths.
 */
import * as path from 'node:path';
import { type Config, loadConfig, statePaths } from '../domain/config';
import type { ImageRef } from '../domain/image';
import { BlobStore } from './oci/blobStore';
import { RegistryClient } from './oci/registry';
import { LockStore } from './locks/lockStore';
import { ImageRecords } from './catalog/imageRecords';
import { CustomLockStore } from './locks/customLockStore';
import { SharedDocuments, STATE_REPOSITORY } from './state/sharedDocuments';

export interface ActivityContext {
  config: Config;
  paths: ReturnType<typeof statePaths>;
  blobs: BlobStore;
  registry: RegistryClient;
  documents: SharedDocuments;
  locks: LockStore;
  customLocks: CustomLockStore;
  records: ImageRecords;
}

/** `local`: documents stay in the state directory (the CLI's one-machine commands: build, lock, sbom). */
export function createContext(config: Config = loadConfig(), documentsScope: 'shared' | 'local' = 'shared'): ActivityContext {
  const paths = statePaths(config);
  const registry = new RegistryClient({ host: config.registry.host, scheme: config.registry.scheme, credentials: config.registry.credentials, tokenHosts: config.registry.tokenHosts });
  const documents = new SharedDocuments(registry, repositoryOf(config, STATE_REPOSITORY), {
    lock: paths.locks,
    'custom-lock': path.join(paths.locks, 'custom'),
    build: paths.images,
    'test-report': path.join(paths.root, 'documents', 'test-report'),
    sbom: path.join(paths.root, 'documents', 'sbom'),
  }, documentsScope === 'shared');
  return {
    config,
    paths,
    blobs: new BlobStore(paths.blobs),
    registry,
    documents,
    locks: new LockStore(documents),
    customLocks: new CustomLockStore(documents),
    records: new ImageRecords(documents),
  };
}

/** Repository of an image: catalog images by name; customizations publish into their base's repository. */
export function repositoryOf(config: Config, imageName: string): string {
  return `${config.registry.repositoryPrefix}/${imageName}`;
}

export function referenceOf(config: Config, repository: string, tagOrDigest: string): string {
  return `${config.registry.host}/${repository}${tagOrDigest.startsWith('sha256:') ? '@' : ':'}${tagOrDigest}`;
}

export type { ImageRef };
