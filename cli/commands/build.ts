/**
 * `tempered build NAME`: builds one catalog image locally from its lock,
 * without publishing, and prints its digest. Twice in a row gives the same
 * digest (and the second answers from the build record); `--arch arm64` builds
 * the arm64 image from the lock's arm64 packages. `tempered lock
 * NAME` re-resolves the newest package set of each of its releases into the
 * locks beside the definition.
 */
import type { Command } from 'commander';
import { NEWEST_RELEASE, RELEASES } from '../../domain/debian/releases';
import { ARCHITECTURES, ArchitectureSchema, DEFAULT_ARCHITECTURE, platformName } from '../../domain/platform';
import { parseOrThrow } from '../../domain/schema/errors';
import { endProgress, printJson, printTable, progressLine } from '../output';
import { config } from '../runtime';

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build a catalog image locally from its lock (no publish) and print its digest')
    .argument('<name>', 'catalog image name, e.g. base')
    .option('--variant <variant>', 'runtime or dev', 'runtime')
    .option('--release <release>', `Debian release (${RELEASES.join(', ')})`, NEWEST_RELEASE)
    .option('--arch <architecture>', `architecture (${ARCHITECTURES.join(', ')})`, DEFAULT_ARCHITECTURE)
    .option('--load', 'also load it into the local Docker engine as tempered/NAME:TAG (another architecture: TAG-ARCH)')
    .option('--json', 'print JSON for scripts')
    .action(async (name: string, opts: { variant: string; release: string; arch: string; load?: boolean; json?: boolean }) => {
      const { ReleaseSchema, VariantSchema } = require('../../domain/image') as typeof import('../../domain/image');
      const variant = parseOrThrow(VariantSchema, opts.variant, '--variant');
      const release = parseOrThrow(ReleaseSchema, opts.release, '--release');
      const { createContext } = require('../../lib/context') as typeof import('../../lib/context');
      const { catalogSubject } = require('../../lib/catalog/subjects') as typeof import('../../lib/catalog/subjects');
      const { resolveLock } = require('../../lib/resolve/lock') as typeof import('../../lib/resolve/lock');
      const { buildImage } = require('../../lib/builder/image') as typeof import('../../lib/builder/image');
      const { buildContextOf } = require('../../lib/builder/context') as typeof import('../../lib/builder/context');
      const { loadImage } = require('../../lib/engine/load') as typeof import('../../lib/engine/load');
      const ctx = createContext(config(), 'local');
      const image = { kind: 'catalog' as const, name, release, variant };
      const arch = parseOrThrow(ArchitectureSchema, opts.arch, '--arch');
      const subject = catalogSubject(ctx.config, image, arch);
      const resolved = await resolveLock(ctx, { image, mode: 'locked', sources: [] }, () => undefined);
      const started = Date.now();
      const built = await buildImage(subject.spec, await ctx.locks.load(resolved.lockDigest), arch, buildContextOf(ctx, (step) => progressLine(`${name}:${subject.tag}: ${step}`)));
      endProgress();
      // Another architecture's image is loaded beside this machine's, not over it: tempered/cc:trixie-arm64.
      const localTag = `tempered/${name}:${subject.tag}${arch === DEFAULT_ARCHITECTURE ? '' : `-${arch}`}`;
      const loaded = opts.load ? await loadImage(ctx.blobs, built.digest, localTag) : undefined;
      const result = { image: `${name}:${subject.tag}`, release, variant, architecture: arch, tag: subject.tag, ...built, seconds: (Date.now() - started) / 1000, changes: resolved.changes, ...(loaded ? { loaded: localTag } : {}) };
      if (opts.json) return printJson(result);
      printTable(['IMAGE', 'PLATFORM', 'DIGEST', 'PACKAGES', 'SIZE', 'COMPRESSED', 'LOCK'], [
        [`${name}:${subject.tag}`, platformName(arch), built.digest, built.packageCount, mb(built.size), mb(built.compressedSize), built.lockDigest.slice(0, 19)],
      ]);
      if (resolved.unavailable.length) console.log(`upstream change: no longer offered: ${resolved.unavailable.join(', ')}`);
    });

  program
    .command('lock')
    .description('resolve the newest package set of a catalog image for each of its releases and write the locks beside the definition')
    .argument('<name>', 'catalog image name')
    .option('--release <release>', 'only this Debian release')
    .option('--json', 'print JSON for scripts')
    .action(async (name: string, opts: { release?: string; json?: boolean }) => {
      const { ReleaseSchema } = require('../../domain/image') as typeof import('../../domain/image');
      const { definitionReleases } = require('../../domain/catalog/definition') as typeof import('../../domain/catalog/definition');
      const { findDefinition } = require('../../domain/catalog/load') as typeof import('../../domain/catalog/load');
      const { createContext } = require('../../lib/context') as typeof import('../../lib/context');
      const { catalogSubject } = require('../../lib/catalog/subjects') as typeof import('../../lib/catalog/subjects');
      const { resolveLock } = require('../../lib/resolve/lock') as typeof import('../../lib/resolve/lock');
      const { writeLockFile } = require('../../lib/locks/lockStore') as typeof import('../../lib/locks/lockStore');
      const ctx = createContext(config(), 'local');
      const releases = opts.release ? [parseOrThrow(ReleaseSchema, opts.release, '--release')] : definitionReleases(findDefinition(ctx.config.catalogDir, name).definition);
      const results = [];
      for (const release of releases) {
        const image = { kind: 'catalog' as const, name, release, variant: 'runtime' as const };
        const subject = catalogSubject(ctx.config, image);
        const resolved = await resolveLock(ctx, { image, mode: 'latest', sources: [] }, (step) => progressLine(`${name}:${release}: ${step}`));
        endProgress();
        writeLockFile(subject.lockFile, await ctx.locks.load(resolved.lockDigest));
        results.push({ release, lockFile: subject.lockFile, ...resolved });
      }
      if (opts.json) return printJson(results);
      for (const result of results) {
        console.log(`${result.lockFile}: ${result.lockDigest}`);
        for (const change of result.changes) console.log(`  ${change}`);
      }
    });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
