/**
 * `tempered advisory submit FILE|-`: validates advisories (each problem names
 * the field), refuses a source package the archive does not know, decides
 * from each published image's own package metadata which images it affects,
 * and signals exactly those (signalWithStart). Prints who got it and why the
 * others did not.
 */
import type { Command } from 'commander';
import type { Advisory } from '../../domain/advisory/record';
import { displayName } from '../../domain/imageId';
import { InputError } from '../../domain/schema/errors';
import { fileArgument } from '../arguments';
import { printJson, printTable } from '../output';
import { withClient } from '../runtime';

export function readAdvisories(text: string, where: string): Advisory[] {
  const { parseAnyAdvisory } = require('../../domain/advisory/record') as typeof import('../../domain/advisory/record');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(where, [{ field: '', problem: `not JSON: ${(err as Error).message}` }]);
  }
  const items = Array.isArray(json) ? json : [json];
  const problems: { field: string; problem: string }[] = [];
  const advisories: Advisory[] = [];
  items.forEach((item, i) => {
    const at = Array.isArray(json) ? `[${i}]` : '';
    const parsed = parseAnyAdvisory(item, at);
    if (parsed.ok) advisories.push(parsed.value);
    else problems.push({ field: at, problem: parsed.problem.problem });
  });
  if (problems.length) throw new InputError(where, problems);
  return advisories;
}

export function registerAdvisory(program: Command): void {
  const advisory = program.command('advisory').description('send advisories to the images they affect');
  advisory
    .command('submit')
    .description('submit advisories from a JSON file ({id, source, fixedVersion?, severity?} or a list), "-" for stdin')
    .argument('<file>', 'JSON file, or - for stdin')
    .option('--dry-run', 'show which images would be signalled, signal nothing')
    .option('--json', 'print JSON for scripts')
    .action(async (file: string, opts: { dryRun?: boolean; json?: boolean }) => {
      // Read and validated before connecting: a missing or malformed file is bad input, not a failed submit.
      const where = file === '-' ? 'stdin' : file;
      const advisories = readAdvisories(fileArgument(file), where);
      const { createContext } = require('../../lib/context') as typeof import('../../lib/context');
      const { sharedArchive } = require('../../lib/archive/shared') as typeof import('../../lib/archive/shared');
      const { packagesOfImage, repositoryOfReference } = require('../../client/imageContents') as typeof import('../../client/imageContents');
      const { signalAdvisory } = require('../../client/imageWorkflows') as typeof import('../../client/imageWorkflows');
      const { allImageStatuses } = require('../../client/status') as typeof import('../../client/status');
      const { assessImpact } = require('../../domain/impact') as typeof import('../../domain/impact');
      await withClient(async (client, config) => {
        const ctx = createContext(config);
        const known = (await sharedArchive(config)).index.sources();
        const unknown = advisories.filter((a) => !known.has(a.source));
        if (unknown.length) {
          throw new InputError(where, unknown.map((a) => ({ field: `${a.id}.source`, problem: `unknown Debian source package "${a.source}": the configured archive has no package built from it` })));
        }

        const rows: { advisory: string; image: string; verdict: string; installed?: string; fixed: string; action: string }[] = [];
        for (const status of await allImageStatuses(client)) {
          const state = status.state;
          if (!state) continue;
          const packages = state.published
            ? await packagesOfImage(ctx, repositoryOfReference(state.published.reference, config.registry.host), state.published.digest)
            : undefined;
          for (const a of advisories) {
            const impact = packages ? assessImpact(a, packages) : undefined;
            const affected = !impact || impact.affected || impact.verdict === 'undetermined';
            if (affected && !opts.dryRun) await signalAdvisory(client, config, state.image, a);
            rows.push({
              advisory: a.id,
              image: displayName(state.image),
              verdict: impact?.verdict ?? 'not built yet',
              installed: impact?.matches[0]?.sourceVersion,
              fixed: a.fixedVersion ?? 'no fix yet',
              action: affected ? (opts.dryRun ? 'would signal' : 'signalled') : impact.explanation,
            });
          }
        }
        if (opts.json) return printJson(rows);
        printTable(['ADVISORY', 'IMAGE', 'VERDICT', 'INSTALLED', 'FIXED IN', 'ACTION'], rows.map((r) => [r.advisory, r.image, r.verdict, r.installed, r.fixed, r.action]));
      });
    });
}
