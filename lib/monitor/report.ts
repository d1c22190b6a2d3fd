/**
 * The poll report: counts and ids only, because it is the result of every
 * scheduled run and so lives in its history. Every problem is in the worker
 * log; the report carries the first few, one line each.
 */
import type { LoadedArchive } from '../archive/fetch';
import type { PollReport } from '../../activities/types';
import type { LoadedFeeds, MonitorProblem } from './feeds';
import type { ImageSurvey } from './images';
import { countByReason, type ImagePlan } from './plan';

const MAX_SIGNALLED = 50;
const PROBLEM_SAMPLES = 5;
const MAX_PROBLEM_LINE = 300;

export interface PollOutcome {
  archive: Pick<LoadedArchive, 'releases'>;
  feedsConfigured: number;
  feeds: LoadedFeeds;
  survey: ImageSurvey;
  /** One per surveyed image, in survey order. */
  plans: readonly ImagePlan[];
  problems: readonly MonitorProblem[];
}

export function buildPollReport(outcome: PollOutcome): PollReport {
  const { archive, feeds, survey, plans, problems } = outcome;
  const byReason = countByReason(plans);
  const sum = (count: (plan: ImagePlan) => number) => plans.reduce((total, plan) => total + count(plan), 0);
  return {
    archive: {
      suites: [...new Set(archive.releases.map((release) => release.suite))],
      packages: archive.releases.reduce((total, release) => total + release.indexes.reduce((n, index) => n + index.packages, 0), 0),
    },
    feeds: { configured: outcome.feedsConfigured, loaded: feeds.loaded, advisories: feeds.records.length, skipped: feeds.skipped },
    images: { running: survey.running, checked: survey.images.length, unpublished: survey.unpublished.length },
    advisories: {
      affecting: sum((plan) => plan.affecting),
      sent: byReason.new,
      nudged: byReason['fix-arrived'] + byReason['still-waiting'],
      retracted: byReason.retraction,
      remembered: sum((plan) => plan.remembered.advisories),
    },
    upstream: { sent: sum((plan) => plan.upstream.length), remembered: sum((plan) => plan.remembered.packages) },
    signalled: survey.images
      .filter((_image, i) => (plans[i]?.advisories.length ?? 0) > 0 || (plans[i]?.upstream.length ?? 0) > 0)
      .map((image) => image.workflowId)
      .slice(0, MAX_SIGNALLED),
    problems: problems.length,
    problemSamples: problems.slice(0, PROBLEM_SAMPLES).map(problemLine),
    incomplete: problems.some((problem) => problem.retryable),
  };
}

export function problemLine(problem: MonitorProblem): string {
  return `${problem.where}: ${problem.problem}`.slice(0, MAX_PROBLEM_LINE);
}
