/**
 * `tempered impact FILE|URL [--json]`: what an advisory feed (OSV or Debian
 * Security Tracker JSON) means for the published images, without signalling
 * anything. For every image and variant: which advisories affect it, through
 * which source package and binaries, installed against fixed version; and
 * for the others why not (not installed, already fixed, not affected, no fix
 * yet). Judged from each published image's own dpkg metadata, exactly as the
 * monitor judges it: each catalog image against its own release's records
 * and the records about every release (domain/impact.ts advisoryAppliesTo).
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import type { LoadedFeed } from '../../lib/feeds/load';
import type { ImageSurvey, SurveyedImage } from '../../lib/monitor/images';
import type { Advisory, FeedProblem } from '../../domain/advisory/record';
import type { Release } from '../../domain/debian/releases';
import { displayName, type ImageRef } from '../../domain/imageId';
import type { AdvisoryImpact, ImpactVerdict } from '../../domain/impact';
import { CliError, ExitCode, printJson, printTable } from '../output';
import { withClient } from '../runtime';

export interface ImpactRow {
  image: string;
  workflowId: string;
  advisory: string;
  source: string;
  /** Installed binaries built from the source, e.g. `libssl3, openssl`. */
  binaries: string[];
  /** Installed source version(s). */
  installed: string[];
  fixedVersion: string | null;
  /** The release the advisory is about; absent: every release. */
  release?: Release;
  verdict: ImpactVerdict;
  explanation: string;
  /** Customizations: the affected binaries come from the base image, which patches them and cascades. */
  viaBase?: boolean;
}

export interface NotInstalled {
  advisory: string;
  source: string;
  release?: Release;
  /** Images of the advisory's release checked that have no binary of the source; every such image when `everywhere`. */
  images: string[];
  everywhere: boolean;
}

export interface ImpactReport {
  feed: { location: string; advisories: number; problems: FeedProblem[]; skipped: LoadedFeed['skipped'] };
  images: { image: string; workflowId: string; digest: string }[];
  /** Images with nothing published yet: nothing to judge. */
  unpublished: string[];
  affected: ImpactRow[];
  unaffected: ImpactRow[];
  notInstalled: NotInstalled[];
  /** Images whose packages could not be read. */
  problems: string[];
}

const VERDICT_LABEL: Record<ImpactVerdict, string> = {
  affected: 'affected',
  'no-fix-yet': 'affected, no fix yet',
  undetermined: 'undetermined, needs review',
  'fixed-in-image': 'already fixed',
  'not-affected': 'not affected',
  'not-installed': 'not installed',
  'other-release': 'about another release',
};

/**
 * The release a surveyed image is built from: a catalog image's is in its
 * identity. A customization's is its base's, which the survey does not
 * carry: undefined, so every record is judged against it (advisoryAppliesTo).
 */
export function releaseOfImage(image: ImageRef): Release | undefined {
  // A workflow started before releases holds an image without one: a bookworm image.
  return image.kind === 'catalog' ? (image.release ?? 'bookworm') : undefined;
}

/** `trixie`, or `all` for a record about every release. */
export const releaseCell = (release: Release | undefined): string => release ?? 'all';

/** Pure: the feed's advisories against the surveyed images. */
export function impactReport(location: string, feed: LoadedFeed, survey: ImageSurvey): ImpactReport {
  const { advisoryAppliesTo, assessImpactOnImages } = require('../../domain/impact') as typeof import('../../domain/impact');
  const { isDeliverable } = require('../../lib/monitor/plan') as typeof import('../../lib/monitor/plan');
  const subjects = survey.images.map((image) => ({ id: image.workflowId, packages: image.packages, release: releaseOfImage(image.image) }));
  const judged = assessImpactOnImages(feed.records, subjects);
  const affected: ImpactRow[] = [];
  const unaffected: ImpactRow[] = [];
  const installedIn = new Map<Advisory, Set<string>>();
  survey.images.forEach((image, i) => {
    for (const item of judged[i]?.impacts ?? []) {
      const row = rowOf(image, item);
      (isDeliverable(item.impact.verdict) ? affected : unaffected).push(row);
      const images = installedIn.get(item.advisory) ?? new Set<string>();
      images.add(image.workflowId);
      installedIn.set(item.advisory, images);
    }
  });
  // Only images the advisory speaks of: a trixie record is not "not installed" in a bookworm image, it is not about it.
  const notInstalled = feed.records.flatMap((advisory): NotInstalled[] => {
    const present = installedIn.get(advisory) ?? new Set<string>();
    const absent = survey.images
      .filter((image) => advisoryAppliesTo(advisory, releaseOfImage(image.image)) && !present.has(image.workflowId))
      .map((image) => displayName(image.image));
    const release = advisory.release ? { release: advisory.release } : {};
    return absent.length ? [{ advisory: advisory.id, source: advisory.source, ...release, images: absent, everywhere: present.size === 0 }] : [];
  });
  return {
    feed: { location, advisories: feed.records.length, problems: feed.problems, skipped: feed.skipped },
    images: survey.images.map((image) => ({ image: displayName(image.image), workflowId: image.workflowId, digest: image.digest })),
    unpublished: survey.unpublished,
    affected,
    unaffected,
    notInstalled,
    problems: survey.problems.map((p) => `${p.where}: ${p.problem}`),
  };
}

function rowOf(image: SurveyedImage, { advisory, impact }: AdvisoryImpact): ImpactRow {
  const { assessImpact } = require('../../domain/impact') as typeof import('../../domain/impact');
  const { isDeliverable } = require('../../lib/monitor/plan') as typeof import('../../lib/monitor/plan');
  const release = releaseOfImage(image.image);
  const viaBase = image.image.kind === 'custom' && isDeliverable(impact.verdict) && !isDeliverable(assessImpact(advisory, image.ownPackages, release).verdict);
  return {
    image: displayName(image.image),
    workflowId: image.workflowId,
    advisory: advisory.id,
    source: advisory.source,
    binaries: [...new Set(impact.matches.map((m) => m.binary))],
    installed: [...new Set(impact.matches.map((m) => m.sourceVersion))],
    fixedVersion: advisory.fixedVersion,
    ...(advisory.release ? { release: advisory.release } : {}),
    verdict: impact.verdict,
    explanation: impact.explanation,
    ...(viaBase ? { viaBase } : {}),
  };
}

export function printImpactReport(report: ImpactReport): void {
  const { feed } = report;
  const skipped = feed.skipped['other-release'] + feed.skipped.withdrawn;
  console.log(
    `Feed ${feed.location}: ${feed.advisories} advisories read, ${feed.problems.length} skipped as malformed, ${skipped} about other releases than tempered builds or withdrawn`,
  );
  for (const problem of feed.problems.slice(0, 20)) console.log(`  malformed: ${problem.where}: ${problem.problem}`);
  if (feed.problems.length > 20) console.log(`  ... and ${feed.problems.length - 20} more (--json lists them all)`);
  console.log(`Images judged: ${report.images.map((i) => i.image).join(', ') || 'none'}`);

  console.log(`\nAffected (${report.affected.length}):`);
  if (report.affected.length) {
    printTable(
      ['IMAGE', 'ADVISORY', 'RELEASE', 'PACKAGE', 'INSTALLED', 'FIXED IN', 'VERDICT'],
      report.affected.map((r) => [
        r.image, r.advisory, releaseCell(r.release), packageCell(r), r.installed.join(', '), r.fixedVersion ?? 'no fix yet',
        VERDICT_LABEL[r.verdict] + (r.viaBase ? ' (patched through its base image)' : ''),
      ]),
    );
  }
  const notInstalledRows = report.notInstalled.filter((n) => !n.everywhere);
  console.log(`\nNot affected (${report.unaffected.length + notInstalledRows.reduce((n, r) => n + r.images.length, 0)}):`);
  if (report.unaffected.length || notInstalledRows.length) {
    printTable(
      ['IMAGE', 'ADVISORY', 'RELEASE', 'PACKAGE', 'INSTALLED', 'FIXED IN', 'WHY'],
      [
        ...report.unaffected.map((r) => [
          r.image, r.advisory, releaseCell(r.release), packageCell(r), r.installed.join(', '), r.fixedVersion ?? '-', `${VERDICT_LABEL[r.verdict]}: ${r.explanation}`,
        ]),
        ...notInstalledRows.map((n) => [n.images.join(', '), n.advisory, releaseCell(n.release), n.source, '-', '-', `not installed: no package built from ${n.source}`]),
      ],
    );
  }
  const nowhere = report.notInstalled.filter((n) => n.everywhere);
  if (nowhere.length) {
    const listed = nowhere.slice(0, 30).map((n) => `${n.advisory} (${n.source}${n.release ? `, ${n.release}` : ''})`).join(', ');
    console.log(`\nNot installed in any image (${nowhere.length}): ${listed}${nowhere.length > 30 ? `, ... (--json lists them all)` : ''}`);
  }
  if (report.unpublished.length) console.log(`\nNot published yet, nothing to judge: ${report.unpublished.join(', ')}`);
  for (const problem of report.problems) console.log(`\nerror: ${problem}`);
}

const packageCell = (r: ImpactRow) => (r.binaries.length ? `${r.source} (${r.binaries.join(', ')})` : r.source);

export function registerImpact(program: Command): void {
  program
    .command('impact')
    .description('dry run: which images and variants an advisory feed (OSV or Debian tracker JSON) affects, and why the others are not')
    .argument('<feed>', 'a JSON file, a directory of OSV records, an OSV zip, or an https URL')
    .option('--json', 'print JSON for scripts')
    .action(async (location: string, opts: { json?: boolean }) => {
      const { createContext } = require('../../lib/context') as typeof import('../../lib/context');
      const { FeedLoadError, loadFeed } = require('../../lib/feeds/load') as typeof import('../../lib/feeds/load');
      const { surveyImages } = require('../../lib/monitor/images') as typeof import('../../lib/monitor/images');
      await withClient(async (client, config) => {
        const where = /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location : path.resolve(location);
        const feed = await loadFeed(where).catch((error: unknown) => {
          if (error instanceof FeedLoadError) throw new CliError(error.message, error.code === 'feed-url-refused' ? ExitCode.usage : ExitCode.failed);
          throw error;
        });
        const survey = await surveyImages(client, createContext(config));
        const report = impactReport(location, feed, survey);
        if (opts.json) printJson(report);
        else printImpactReport(report);
      });
    });
}
