/**
 * What every activity shares in one worker process: configuration, the local
 * stores under the state directory, and the registry client. Built once,
 * lazily, from the environment; tests build their own with other paths.
 */
import { type Config, loadConfig, statePaths } from '../domain/config';
import type { ImageRef } from '../domain/image';
import { BlobStore } from './oci/blobStore';
import { RegistryClient } from './oci/registry';
import { LockStore } from './locks/lockStore';

export interface ActivityContext {
  config: Config;
  paths: ReturnType<typeof statePaths>;
  blobs: BlobStore;
  locks: LockStore;
  registry: RegistryClient;
  buildRecords: string;
}

export function createContext(config: Config = loadConfig()): ActivityContext {
  const paths = statePaths(config);
  return {
    config,
    paths,
    blobs: new BlobStore(paths.blobs),
    locks: new LockStore(paths.locks),
    registry: new RegistryClient({ host: config.registry.host, scheme: config.registry.scheme, credentials: config.registry.credentials, tokenHosts: config.registry.tokenHosts }),
    buildRecords: paths.builds,
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
