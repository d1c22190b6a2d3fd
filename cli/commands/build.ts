/**
 * `tempered build NAME`: builds one catalog image locally from its lock,
 * without publishing, and prints its digest. Twice in a row gives the same
 * digest (and the second answers from the build record). `tempered lock
 * NAME` re-resolves the newest package set into the lock beside the definition.
 */
import type { Command } from 'commander';
import { parseOrThrow } from '../../domain/schema/errors';
import { endProgress, printJson, printTable, progressLine } from '../output';
import { config } from '../runtime';

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build a catalog image locally from its lock (no publish) and print its digest')
    .argument('<name>', 'catalog image name, e.g. base')
    .option('--variant <variant>', 'runtime or dev', 'runtime')
    .option('--load', 'also load it into the local Docker engine as tempered/NAME:TAG')
    .option('--json', 'print JSON for scripts')
    .action(async (name: string, opts: { variant: string; load?: boolean; json?: boolean }) => {
      const { VariantSchema } = require('../../domain/image') as typeof import('../../domain/image');
      const variant = parseOrThrow(VariantSchema, opts.variant, '--variant');
      const { createContext } = require('../../lib/context') as typeof import('../../lib/context');
      const { catalogSubject } = require('../../lib/catalog/subjects') as typeof import('../../lib/catalog/subjects');
      const { resolveLock } = require('../../lib/resolve/lock') as typeof import('../../lib/resolve/lock');
      const { buildImage } = require('../../lib/builder/image') as typeof import('../../lib/builder/image');
      const { buildContextOf } = require('../../lib/builder/context') as typeof import('../../lib/builder/context');
      const { loadImage } = require('../../lib/engine/load') as typeof import('../../lib/engine/load');
      const ctx = createContext(config());
      const image = { kind: 'catalog' as const, name, variant };
      const subject = catalogSubject(ctx.config, image);
      const resolved = await resolveLock(ctx, { image, mode: 'locked', sources: [] }, () => undefined);
      const started = Date.now();
      const built = await buildImage(subject.spec, ctx.locks.load(resolved.lockDigest), buildContextOf(ctx, (step) => progressLine(`${name}:${variant}: ${step}`)));
      endProgress();
      const loaded = opts.load ? await loadImage(ctx.blobs, built.digest, `tempered/${name}:${subject.tag}`) : undefined;
      const result = { image: `${name}:${variant}`, tag: subject.tag, ...built, seconds: (Date.now() - started) / 1000, changes: resolved.changes, ...(loaded ? { loaded: `tempered/${name}:${subject.tag}` } : {}) };
      if (opts.json) return printJson(result);
      printTable(['IMAGE', 'DIGEST', 'PACKAGES', 'SIZE', 'COMPRESSED', 'LOCK'], [
        [`${name}:${subject.tag}`, built.digest, built.packageCount, mb(built.size), mb(built.compressedSize), built.lockDigest.slice(0, 19)],
      ]);
      if (resolved.unavailable.length) console.log(`upstream change: no longer offered: ${resolved.unavailable.join(', ')}`);
    });

  program
    .command('lock')
    .description('resolve the newest package set of a catalog image and write its lock beside the definition')
    .argument('<name>', 'catalog image name')
    .option('--json', 'print JSON for scripts')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { createContext } = require('../../lib/context') as typeof import('../../lib/context');
      const { catalogSubject } = require('../../lib/catalog/subjects') as typeof import('../../lib/catalog/subjects');
      const { resolveLock } = require('../../lib/resolve/lock') as typeof import('../../lib/resolve/lock');
      const { writeLockFile } = require('../../lib/locks/lockStore') as typeof import('../../lib/locks/lockStore');
      const ctx = createContext(config());
      const image = { kind: 'catalog' as const, name, variant: 'runtime' as const };
      const subject = catalogSubject(ctx.config, image);
      const resolved = await resolveLock(ctx, { image, mode: 'latest', sources: [] }, (step) => progressLine(`${name}: ${step}`));
      endProgress();
      writeLockFile(subject.lockFile, ctx.locks.load(resolved.lockDigest));
      if (opts.json) return printJson({ lockFile: subject.lockFile, ...resolved });
      console.log(`${subject.lockFile}: ${resolved.lockDigest}`);
      for (const change of resolved.changes) console.log(`  ${change}`);
    });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
