/**
 * `tempered sbom IMAGE`: the CycloneDX 1.6 SBOM of an image, made from the
 * image's own dpkg metadata (lib/sbom/imageSbom.ts), never from a lock.
 *
 * IMAGE is a registry reference (HOST/REPOSITORY:TAG or @sha256:...), whose
 * manifest, config and layers are pulled into the local blob store first, or
 * a catalog image NAME[:VARIANT], built locally from its lock (answered from
 * the build record when it was built before). A table for people; `--json`
 * prints the CycloneDX document itself.
 */
import type { Command } from 'commander';
import { buildContextOf } from '../../lib/builder/context';
import { buildImage } from '../../lib/builder/image';
import { catalogSubject } from '../../lib/catalog/subjects';
import { type ActivityContext, createContext } from '../../lib/context';
import { pullByDigest } from '../../lib/oci/push';
import { RegistryClient } from '../../lib/oci/registry';
import { resolveLock } from '../../lib/resolve/lock';
import { imageSbom } from '../../lib/sbom/imageSbom';
import type { Config } from '../../domain/config';
import { Annotation, type ImageManifest } from '../../domain/oci/image';
import { imageArgument } from '../arguments';
import { CliError, endProgress, printTable, progressLine } from '../output';
import { config } from '../runtime';
import { parseImageReference } from './verify';

interface SbomSubject {
  digest: string;
  name: string;
  variant: string;
  reference?: string;
}

export function registerSbom(program: Command): void {
  program
    .command('sbom')
    .description("print the CycloneDX SBOM of an image, made from the image's own package metadata")
    .argument('<image>', 'HOST/REPOSITORY:TAG, HOST/REPOSITORY@sha256:DIGEST, or a catalog image NAME[:VARIANT] (built locally)')
    .option('--json', 'print the CycloneDX JSON document')
    .action(async (image: string, opts: { json?: boolean }) => {
      const ctx = createContext(config());
      const subject = image.includes('/') ? await pulled(ctx, image) : await builtLocally(ctx, image);
      const { sbom, packages } = await imageSbom(ctx.blobs, subject.digest, { name: subject.name, variant: subject.variant, reference: subject.reference });
      if (opts.json) return console.log(sbom);
      const components = componentSummaries(sbom);
      printTable(
        ['PACKAGE', 'VERSION', 'SOURCE', 'LICENSES'],
        packages.map((p) => [p.name, p.version, p.source === p.name && p.sourceVersion === p.version ? '' : `${p.source} ${p.sourceVersion}`, components.get(p.name)]),
      );
      console.log(`${subject.reference ?? subject.name}@${subject.digest}: ${packages.length} packages (--json for the CycloneDX document)`);
    });
}

/** A registry image: resolve the tag, pull its blobs, then read them like any local image. */
async function pulled(ctx: ActivityContext, text: string): Promise<SbomSubject> {
  const { host, repository, reference } = parseImageReference(text);
  const registry = registryFor(ctx.config, host);
  const digest = reference.startsWith('sha256:') ? reference : await registry.resolve(repository, reference);
  if (!digest) throw new CliError(`${host}/${repository}:${reference} not found`, 1);
  progressLine(`pulling ${host}/${repository}@${digest.slice(0, 19)}`);
  await pullByDigest(registry, repository, ctx.blobs, digest);
  endProgress();
  // tempered images say what they are in their manifest; for others the repository name has to do.
  const annotations = ctx.blobs.readJson<ImageManifest>(digest).annotations ?? {};
  return {
    digest,
    name: annotations[Annotation.title] ?? repository.split('/').pop() ?? repository,
    variant: annotations[Annotation.variant] ?? 'runtime',
    reference: `${host}/${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`,
  };
}

/** A catalog image from its lock, the way `tempered build` makes it (no publish). */
async function builtLocally(ctx: ActivityContext, text: string): Promise<SbomSubject> {
  const image = imageArgument(text);
  if (image.kind !== 'catalog') throw new CliError(`"${text}" is not a catalog image: use NAME[:VARIANT] or a registry reference`, 2);
  const subject = catalogSubject(ctx.config, image);
  const resolved = await resolveLock(ctx, { image, mode: 'locked', sources: [] }, () => undefined);
  const built = await buildImage(subject.spec, ctx.locks.load(resolved.lockDigest), buildContextOf(ctx, (step) => progressLine(`${image.name}:${image.variant}: ${step}`)));
  endProgress();
  return { digest: built.digest, name: image.name, variant: image.variant };
}

/** The configured registry gets its credentials and scheme; any other loopback one is plain http. */
function registryFor(cfg: Config, host: string): RegistryClient {
  const configured = host === cfg.registry.host;
  return new RegistryClient({
    host,
    scheme: configured ? cfg.registry.scheme : /^(127\.|localhost[:]|\[::1\])/.test(host) ? 'http' : 'https',
    credentials: configured ? cfg.registry.credentials : undefined,
  });
}

/** Package name -> its licenses as the SBOM states them (Debian copyright files, where declared). */
function componentSummaries(sbom: string): Map<string, string> {
  const doc = JSON.parse(sbom) as { components?: { name?: string; licenses?: { license?: { id?: string; name?: string }; expression?: string }[] }[] };
  const out = new Map<string, string>();
  for (const c of doc.components ?? []) {
    if (!c.name) continue;
    const licenses = (c.licenses ?? []).map((l) => l.expression ?? l.license?.id ?? l.license?.name).filter((l): l is string => !!l);
    out.set(c.name, licenses.join(', '));
  }
  return out;
}
