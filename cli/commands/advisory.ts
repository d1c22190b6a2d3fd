/**
 * `tempered advisory submit FILE|- [--release R]`: validates advisories (each
 * problem names the field), refuses a source package the archive does not
 * know, decides from each published image's own package metadata which
 * images it affects, and signals exactly those (signalWithStart). Prints who
 * got it and why the others did not.
 *
 * An advisory is about one Debian release when it says so (`release` in the
 * file, or --release for every advisory of the file that names none): only
 * that release's images hear of it. Without one it is about every release:
 * its fixed version is compared with what each image has, whatever its
 * release (right for a fix named by upstream version, wrong for a
 * `+deb13u1` upload that bookworm will never get).
 */
import type { Command } from 'commander';
import type { Advisory } from '../../domain/advisory/record';
import { isRelease, RELEASES, type Release } from '../../domain/debian/releases';
import { displayName } from '../../domain/imageId';
import { DEFAULT_ARCHITECTURE } from '../../domain/platform';
import { InputError } from '../../domain/schema/errors';
import { fileArgument } from '../arguments';
import { CliError, ExitCode, printJson, printTable } from '../output';
import { withClient } from '../runtime';
import { releaseCell, releaseOfImage } from './impact';

const RELEASE_HELP = [
  '',
  'Releases:',
  `  An advisory with a release (${RELEASES.join(', ')}), from --release or its own "release" field,`,
  '  reaches only that release\'s images: each release gets its fix as its own upload',
  '  (3.5.1-1+deb13u1 in trixie, 3.0.17-1~deb12u2 in bookworm).',
  '  An advisory without a release is about every release: its fixed version is compared',
  '  with what each image has, whatever its release.',
].join('\n');

/** `--release`, checked before anything connects: a release tempered builds. */
export function releaseOption(text: string | undefined): Release | undefined {
  if (text === undefined) return undefined;
  const release = text.trim();
  if (!isRelease(release)) {
    throw new CliError(`--release: "${text.slice(0, 80)}" is not a Debian release tempered builds (${RELEASES.join(', ')})`, ExitCode.usage);
  }
  return release;
}

/**
 * The advisories of a file, each validated. With `release`, every advisory
 * that names none is about that release; one that names another is refused
 * (which of the two was meant is not ours to guess).
 */
export function readAdvisories(text: string, where: string, release?: Release): Advisory[] {
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
    if (!parsed.ok) problems.push({ field: at, problem: parsed.problem.problem });
    else if (release === undefined || parsed.value.release === undefined) advisories.push(release ? { ...parsed.value, release } : parsed.value);
    else if (parsed.value.release === release) advisories.push(parsed.value);
    else problems.push({ field: at, problem: `release: "${parsed.value.release}" contradicts --release ${release}` });
  });
  if (problems.length) throw new InputError(where, problems);
  return advisories;
}

export function registerAdvisory(program: Command): void {
  const advisory = program.command('advisory').description('send advisories to the images they affect');
  advisory
    .command('submit')
    .description('submit advisories from a JSON file ({id, source, fixedVersion?, severity?, release?} or a list), "-" for stdin')
    .argument('<file>', 'JSON file, or - for stdin')
    .option('--release <release>', `the Debian release (${RELEASES.join(', ')}) the advisories are about; without it (and without "release" in the file), every release`)
    .option('--dry-run', 'show which images would be signalled, signal nothing')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', RELEASE_HELP)
    .action(async (file: string, opts: { release?: string; dryRun?: boolean; json?: boolean }) => {
      // Read and validated before connecting: a missing or malformed file is bad input, not a failed submit.
      const release = releaseOption(opts.release);
      const where = file === '-' ? 'stdin' : file;
      const advisories = readAdvisories(fileArgument(file), where, release);
      const { createContext } = require('../../lib/context') as typeof import('../../lib/context');
      const { sharedArchive } = require('../../lib/archive/shared') as typeof import('../../lib/archive/shared');
      const { isArchiveError } = require('../../lib/archive/errors') as typeof import('../../lib/archive/errors');
      const { packagesOfImage, repositoryOfReference } = require('../../client/imageContents') as typeof import('../../client/imageContents');
      const { signalAdvisory } = require('../../client/imageWorkflows') as typeof import('../../client/imageWorkflows');
      const { allImageStatuses } = require('../../client/status') as typeof import('../../client/status');
      const { advisoryAppliesTo, assessImpact } = require('../../domain/impact') as typeof import('../../domain/impact');
      await withClient(async (client, config) => {
        const ctx = createContext(config);
        // Each advisory's source must be known in its release's archive (any configured release, without one).
        const sourcesOf = new Map<Release, Set<string>>();
        for (const r of new Set(advisories.flatMap((a) => (a.release ? [a.release] : [...RELEASES])))) {
          const archive = await sharedArchive(config, { release: r, architectures: [DEFAULT_ARCHITECTURE] }).catch((error: unknown) => {
            // A release the configuration has no suite of (TEMPERED_ARCHIVE naming bookworm only) knows no source.
            if (isArchiveError(error, 'ARCHIVE_CONFIG_INVALID') && !advisories.some((a) => a.release === r)) return undefined;
            throw error;
          });
          sourcesOf.set(r, archive ? archive.index.sources() : new Set());
        }
        const knownIn = (a: Advisory) => (a.release ? [a.release] : [...RELEASES]).some((r) => sourcesOf.get(r)?.has(a.source));
        const unknown = advisories.filter((a) => !knownIn(a));
        if (unknown.length) {
          throw new InputError(where, unknown.map((a) => ({ field: `${a.id}.source`, problem: `unknown Debian source package "${a.source}": the configured archive has no package built from it` })));
        }

        const rows: { advisory: string; release: string; image: string; verdict: string; installed?: string; fixed: string; action: string }[] = [];
        for (const status of await allImageStatuses(client)) {
          const state = status.state;
          if (!state) continue;
          const imageRelease = releaseOfImage(state.image);
          const packages = state.published
            ? await packagesOfImage(ctx, repositoryOfReference(state.published.reference, config.registry.host), state.published.digest)
            : undefined;
          for (const a of advisories) {
            // Another release's advisory is not sent even to an image with nothing published: it is not about it.
            const impact = packages || !advisoryAppliesTo(a, imageRelease) ? assessImpact(a, packages ?? [], imageRelease) : undefined;
            const affected = !impact || impact.affected || impact.verdict === 'undetermined';
            if (affected && !opts.dryRun) await signalAdvisory(client, config, state.image, a);
            rows.push({
              advisory: a.id,
              release: releaseCell(a.release),
              image: displayName(state.image),
              verdict: impact?.verdict ?? 'not built yet',
              installed: impact?.matches[0]?.sourceVersion,
              fixed: a.fixedVersion ?? 'no fix yet',
              action: affected ? (opts.dryRun ? 'would signal' : 'signalled') : impact.explanation,
            });
          }
        }
        if (opts.json) return printJson(rows);
        printTable(
          ['ADVISORY', 'RELEASE', 'IMAGE', 'VERDICT', 'INSTALLED', 'FIXED IN', 'ACTION'],
          rows.map((r) => [r.advisory, r.release, r.image, r.verdict, r.installed, r.fixed, r.action]),
        );
      });
    });
}
