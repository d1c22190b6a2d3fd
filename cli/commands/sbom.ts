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
import { DEFAULT_ARCHITECTURE } from '../../domain/platform';
import type { Command } from 'commander';
import type { ActivityContext } from '../../lib/context';
import { Annotation, type ImageManifest } from '../../domain/oci/image';
import { imageArgument } from '../arguments';
import { CliError, endProgress, printTable, progressLine } from '../output';
import { config } from '../runtime';
import { parseImageReference, registryFor } from './verify';

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
      const { createContext } = require('../../lib/context') as typeof import('../../lib/context');
      const { imageSbom } = require('../../lib/sbom/imageSbom') as typeof import('../../lib/sbom/imageSbom');
      const ctx = createContext(config(), 'local');
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
  const { pullByDigest } = require('../../lib/oci/push') as typeof import('../../lib/oci/push');
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
  if (image.kind !== 'catalog') throw new CliError(`"${text}" is not a catalog image: use NAME[:TAG] or a registry reference`, 2);
  const { catalogSubject } = require('../../lib/catalog/subjects') as typeof import('../../lib/catalog/subjects');
  const { resolveLock } = require('../../lib/resolve/lock') as typeof import('../../lib/resolve/lock');
  const { buildImage } = require('../../lib/builder/image') as typeof import('../../lib/builder/image');
  const { buildContextOf } = require('../../lib/builder/context') as typeof import('../../lib/builder/context');
  const subject = catalogSubject(ctx.config, image);
  const resolved = await resolveLock(ctx, { image, mode: 'locked', sources: [] }, () => undefined);
  const built = await buildImage(subject.spec, await ctx.locks.load(resolved.lockDigest), DEFAULT_ARCHITECTURE, buildContextOf(ctx, (step) => progressLine(`${subject.tag}: ${step}`)));
  endProgress();
  return { digest: built.digest, name: image.name, variant: image.variant };
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
