/**
 * A published image as the consumer commands (changelog, diff, mirror)
 * name it: a registry reference `HOST/REPOSITORY:TAG` or `...@sha256:...`,
 * or a tempered image `NAME[:TAG]` / `custom:NAME`, optionally `@sha256:...`,
 * in the configured registry.
 */
import type { RegistryClient } from '../lib/oci/registry';
import { imageArgument } from './arguments';
import { CliError, ExitCode } from './output';
import { config } from './runtime';
import { parseImageReference, registryFor } from './commands/verify';

export interface PublishedImageRef {
  registry: RegistryClient;
  host: string;
  repository: string;
  /** A tag or a digest. */
  reference: string;
  /** How it reads: `host/repository:tag` or `host/repository@sha256:...`. */
  text: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function publishedImage(text: string): PublishedImageRef {
  const cfg = config();
  if (text.includes('/')) {
    const { host, repository, reference } = parseImageReference(text);
    return { registry: registryFor(cfg, host), host, repository, reference, text: join(host, repository, reference) };
  }
  const at = text.indexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  const digest = at < 0 ? undefined : text.slice(at + 1);
  if (digest !== undefined && !DIGEST.test(digest)) throw new CliError(`"${text}": after @ give sha256:<64 hex digits>`, ExitCode.usage);
  const image = imageArgument(name);
  const { catalogSubject } = require('../lib/catalog/subjects') as typeof import('../lib/catalog/subjects');
  const { customSubject } = require('../lib/catalog/customSubject') as typeof import('../lib/catalog/customSubject');
  const { repository, tag } = image.kind === 'catalog' ? catalogSubject(cfg, image) : customSubject(cfg, image);
  const host = cfg.registry.host;
  const reference = digest ?? tag;
  return { registry: registryFor(cfg, host), host, repository, reference, text: join(host, repository, reference) };
}

/** The digest a reference names now. */
export async function resolvePublished(ref: PublishedImageRef): Promise<string> {
  const digest = DIGEST.test(ref.reference) ? ref.reference : await ref.registry.resolve(ref.repository, ref.reference);
  if (!digest) throw new CliError(`${ref.text} does not exist`, ExitCode.failed);
  return digest;
}

const join = (host: string, repository: string, reference: string) => `${host}/${repository}${DIGEST.test(reference) ? '@' : ':'}${reference}`;
