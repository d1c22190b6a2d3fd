/**
 * Activity `pollUpstream`: one look at upstream for every image, run by the
 * monitor workflow on a Schedule. Read top to bottom:
 *
 * 1. Load the archive, verified (gpgv, Release hashes). Untrusted: stop,
 *    signal nothing. Unreachable: throw, Temporal retries with backoff.
 * 2. Load every feed. A bad record or an unreadable feed is a problem of
 *    this poll; the good records of every readable feed still count.
 * 3. List the image workflows and read each published image's packages.
 *    Images not published yet are skipped: their first cycle takes the
 *    newest of everything anyway.
 * 4. Per image: which advisories affect it, whether the archive offers
 *    their fixes, which of its packages have newer versions; then what was
 *    not sent before (monitor/plan.ts), delivered by signalWithStart:
 *    advisories one signal each, upstream changes as one signal.
 * 5. Remember what was sent (monitor/memory.ts), after each image.
 *
 * If a feed or an image could not be read but may be soon, the activity
 * fails retryably after step 5 with the report attached (failures.ts).
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { connectClient } from '../client/connect';
import { advisoryKey } from '../domain/advisory/record';
import { NEWEST_RELEASE, type Release } from '../domain/debian/releases';
import { displayName } from '../domain/image';
import { DEFAULT_ARCHITECTURE } from '../domain/platform';
import { assessImpactOnImages } from '../domain/impact';
import type { LoadedArchive } from '../lib/archive/fetch';
import { sharedArchive } from '../lib/archive/shared';
import type { ActivityContext } from '../lib/context';
import { archiveFailure, incomplete, misconfigured } from './monitorFailures';
import { type FeedLoader, feedLocationSchema, loadFeeds, type MonitorProblem } from '../lib/monitor/feeds';
import { type SurveyedImage, surveyImages } from '../lib/monitor/images';
import { exclusive, forgetStale, memoryFile, readMemory, writeMemory } from '../lib/monitor/memory';
import { fixOffered, newerPackages } from '../lib/monitor/offers';
import { type ImagePlan, planImage } from '../lib/monitor/plan';
import { type Pulse, startPulse } from '../lib/monitor/pulse';
import { buildPollReport, problemLine } from '../lib/monitor/report';
import { type Deliverer, temporalDeliverer } from '../lib/monitor/signals';
import type { MonitorActivities, PollReport, PollUpstreamInput } from './types';

export interface MonitorDependencies {
  /** Lists and signals image workflows. Default: one client per worker process, from the config. */
  client?: () => Promise<Client>;
  /** One release's verified archive. Default: the worker's shared load (archive/shared.ts). */
  archive?: (release: Release) => Promise<LoadedArchive>;
  feeds?: FeedLoader;
  now?: () => Date;
}

const pollInputSchema = z.strictObject({ feeds: z.array(feedLocationSchema).max(100, 'at most 100 feeds') });

export function monitorActivities(ctx: ActivityContext, deps: MonitorDependencies = {}): MonitorActivities {
  let connecting: Promise<Client> | undefined;
  // A failed connection is not cached: the next attempt of the activity tries again.
  const client =
    deps.client ??
    (() =>
      (connecting ??= connectClient(ctx.config).catch((error: unknown) => {
        connecting = undefined;
        throw error;
      })));
  const archive = deps.archive ?? ((release: Release) => sharedArchive(ctx.config, { release, architectures: [DEFAULT_ARCHITECTURE] }));
  const file = memoryFile(ctx.config.stateDir);

  async function poll(feeds: string[], pulse: Pulse): Promise<PollReport> {
    const now = deps.now?.() ?? new Date();
    const problems: MonitorProblem[] = [];

    const feed = await loadFeeds(feeds, deps.feeds, (i) => pulse.step(`loading feed ${i + 1}/${feeds.length}`));
    problems.push(...feed.problems);
    pulse.checkCancelled();

    pulse.step('listing image workflows');
    const temporal = await client();
    const survey = await surveyImages(temporal, ctx, (i, total, id) => pulse.step(`reading packages of ${id} (${i + 1}/${total})`));
    problems.push(...survey.problems);

    // Each image against its own release's archive: a trixie upload is no fix for a bookworm image.
    const upstream = new Map<Release, LoadedArchive>();
    for (const release of new Set(survey.images.map(releaseToCheck))) {
      pulse.step(`loading the verified ${release} archive`);
      upstream.set(release, await archive(release).catch((error: unknown) => {
        throw archiveFailure(error);
      }));
      pulse.checkCancelled();
    }
    const indexOf = (image: SurveyedImage) => (upstream.get(releaseToCheck(image)) as LoadedArchive).index;

    const subjects = survey.images.map((image) => ({ id: image.workflowId, packages: image.ownPackages, ...(image.release ? { release: image.release } : {}) }));
    const impacts = assessImpactOnImages(feed.records, subjects);
    const newer = new Map<string, string[]>();
    for (const [release, { index }] of upstream) {
      for (const [id, names] of newerPackages(subjects.filter((s) => releaseToCheck(s) === release), index)) newer.set(id, names);
    }

    const { memory, discarded } = readMemory(file, now);
    if (discarded) pulse.log('warn', 'monitor memory was unreadable and was set aside; earlier deliveries may be repeated', discarded);
    const deliver = temporalDeliverer(temporal, ctx.config);
    const plans: ImagePlan[] = [];
    for (const [i, image] of survey.images.entries()) {
      pulse.checkCancelled();
      pulse.step(`signalling ${image.workflowId} (${i + 1}/${survey.images.length})`);
      const plan = planImage(
        memory.images[image.workflowId],
        {
          impacts: impacts[i]?.impacts ?? [],
          fixOffered: ({ advisory, impact }) => fixOffered(impact, advisory.fixedVersion, indexOf(image)),
          newerPackages: newer.get(image.workflowId) ?? [],
          workflow: { waiting: new Set(image.waiting), ...(image.lastCycleFinishedAt ? { lastCycleFinishedAt: image.lastCycleFinishedAt } : {}) },
        },
        now,
      );
      await deliverPlan(deliver, image, plan, pulse);
      // Remembered image by image: a crash repeats at most one image's signals, which its workflow ignores.
      memory.images[image.workflowId] = plan.memory;
      writeMemory(file, memory);
      plans.push(plan);
    }
    writeMemory(file, forgetStale(memory, now));

    for (const problem of problems) pulse.log('warn', `upstream problem: ${problemLine(problem)}`, { retryable: problem.retryable });
    const report = buildPollReport({ archive: { releases: [...upstream.values()].flatMap((a) => a.releases) }, feedsConfigured: feeds.length, feeds: feed, survey, plans, problems });
    const retryable = problems.filter((problem) => problem.retryable).map(problemLine);
    if (retryable.length > 0) throw incomplete(report, retryable);
    return report;
  }

  return {
    async pollUpstream(input: PollUpstreamInput): Promise<PollReport> {
      const parsed = pollInputSchema.safeParse(input);
      if (!parsed.success) {
        throw misconfigured(`pollUpstream input: ${parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(input)'}: ${i.message}`).join('; ')}`);
      }
      return exclusive(file, async () => {
        const pulse = startPulse();
        try {
          return await poll(parsed.data.feeds, pulse);
        } finally {
          pulse.stop();
        }
      });
    },
  };
}

/** Advisories one signal each (the workflow validates and dedupes each), then upstream changes as one. */
async function deliverPlan(deliver: Deliverer, image: SurveyedImage, plan: ImagePlan, pulse: Pulse): Promise<void> {
  for (const { advisory, reason } of plan.advisories) {
    await deliver.advisory(image.image, advisory);
    pulse.log('info', `sent ${advisory.id} (${reason}) to ${displayName(image.image)}`, { key: advisoryKey(advisory), workflowId: image.workflowId });
  }
  if (plan.upstream.length > 0) {
    await deliver.upstream(image.image, plan.upstream);
    pulse.log('info', `sent ${plan.upstream.length} upstream change(s) to ${displayName(image.image)}`, { packages: plan.upstream.slice(0, 10), workflowId: image.workflowId });
  }
}

/** The release whose archive judges an image: its own, else (a customization without base-files) the newest. */
function releaseToCheck(image: { release?: Release }): Release {
  return image.release ?? NEWEST_RELEASE;
}
