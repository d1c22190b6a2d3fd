/**
 * Decides, for one image, what this poll must signal given what earlier
 * polls already signalled. Pure: the activity gathers the facts (impacts,
 * archive offers, newer packages), this answers, the activity delivers and
 * then stores the returned memory.
 *
 * The rules, per image:
 * - An advisory that affects the image (affected, no fix yet, undetermined)
 *   is sent once per advisoryKey (`id/source@fixedVersion`): a new fixed
 *   version is a new key and is sent again.
 * - The fix arrived: a key first sent while the archive did not offer its
 *   fixed version sits in the workflow's `waiting` list, re-checked only when
 *   a cycle runs. When the archive starts offering the fix, the key is sent
 *   once more; the workflow moves it back to pending and patches.
 * - Still waiting: the archive offers the fix, the key was sent, a cycle has
 *   finished since, and the workflow still lists the key as waiting. Its
 *   resolve saw an older archive than this poll did (another worker's cached
 *   load), so it is sent again; at most once per cycle, never in a loop.
 * - Retraction: an advisory sent earlier that Debian now marks not affected
 *   is sent once with that status, so the workflow stops waiting for it.
 * - Newer package versions are sent once per `name version`.
 */
import { type Advisory, advisoryKey } from '../../domain/advisory/record';
import type { AdvisoryImpact, ImpactVerdict } from '../../domain/impact';
import { type AdvisoryMemory, emptyImageMemory, type ImageMemory } from './memory';

export type DeliveryReason = 'new' | 'fix-arrived' | 'still-waiting' | 'retraction';

export interface AdvisoryDelivery {
  advisory: Advisory;
  reason: DeliveryReason;
}

export interface ImageObservation {
  /** This image's impacts (assessImpactOnImages): only advisories whose source the image has. */
  impacts: readonly AdvisoryImpact[];
  /** Whether the archive offers the advisory's fixed version for the image's vulnerable binaries. */
  fixOffered: (impact: AdvisoryImpact) => boolean;
  /** Newer versions the archive offers for packages of the image, `name version`. */
  newerPackages: readonly string[];
  /** What the image's workflow says now: the advisory keys it holds in `waiting`, and when its last cycle finished. */
  workflow?: { waiting: ReadonlySet<string>; lastCycleFinishedAt?: string };
}

export interface ImagePlan {
  advisories: AdvisoryDelivery[];
  /** `name version` lines not sent before. */
  upstream: string[];
  /** Advisories that affect the image now (sent now or earlier). */
  affecting: number;
  /** How many affecting advisories and newer packages were sent by an earlier poll. */
  remembered: { advisories: number; packages: number };
  /** This image's memory once the deliveries above are made. */
  memory: ImageMemory;
}

/** Verdicts the image workflow must hear about: it patches them or keeps them visibly pending. */
const DELIVERABLE: ReadonlySet<ImpactVerdict> = new Set(['affected', 'no-fix-yet', 'undetermined']);

export function isDeliverable(verdict: ImpactVerdict): boolean {
  return DELIVERABLE.has(verdict);
}

/** The issue an advisory is about, whatever its fixed version: `CVE-2024-1234/openssl`. */
export function issueOf(advisory: Pick<Advisory, 'id' | 'source'>): string {
  return `${advisory.id}/${advisory.source}`;
}

/** advisoryKey is `<issue>@<fixed version or none>`; ids and source names never contain `@`. */
function issueOfKey(key: string): string {
  return key.slice(0, key.indexOf('@'));
}

export function planImage(previous: ImageMemory | undefined, observation: ImageObservation, now: Date): ImagePlan {
  const at = now.toISOString();
  const memory: ImageMemory = structuredClone(previous ?? emptyImageMemory());
  const deliveries: AdvisoryDelivery[] = [];
  const remembered = { advisories: 0, packages: 0 };
  let affecting = 0;
  const remember = (advisory: Advisory, fixOffered: boolean): AdvisoryMemory =>
    (memory.advisories[advisoryKey(advisory)] = { status: advisory.status, fixOffered, sentAt: at, seenAt: at });

  for (const item of observation.impacts) {
    const { advisory, impact } = item;
    const key = advisoryKey(advisory);
    const entry = memory.advisories[key];
    if (isDeliverable(impact.verdict)) {
      affecting += 1;
      const offered = advisory.fixedVersion !== null && observation.fixOffered(item);
      // A key last sent as "not affected" (the @none key of a no-fix record) that affects again is news.
      if (entry === undefined || entry.status === 'not-affected') {
        deliveries.push({ advisory, reason: 'new' });
        remember(advisory, offered);
      } else if (offered && (!entry.fixOffered || waitedThroughACycle(observation, key, entry))) {
        deliveries.push({ advisory, reason: entry.fixOffered ? 'still-waiting' : 'fix-arrived' });
        remember(advisory, true);
      } else {
        remembered.advisories += 1;
        entry.seenAt = at;
      }
    } else if (impact.verdict === 'not-affected') {
      const issue = issueOf(advisory);
      const earlier = Object.entries(memory.advisories).filter(([k, e]) => issueOfKey(k) === issue && e.status !== 'not-affected');
      if (earlier.length > 0) {
        // Forget the earlier keys too: if Debian flips back to "fixed in V", V is news again.
        for (const [k] of earlier) delete memory.advisories[k];
        deliveries.push({ advisory, reason: 'retraction' });
        remember(advisory, false);
      } else if (entry !== undefined) {
        entry.seenAt = at;
      }
    }
    // fixed-in-image: the published image already has the fix; nothing to say.
  }

  const upstream: string[] = [];
  for (const line of observation.newerPackages) {
    const entry = memory.packages[line];
    if (entry === undefined) {
      upstream.push(line);
      memory.packages[line] = { sentAt: at, seenAt: at };
    } else {
      remembered.packages += 1;
      entry.seenAt = at;
    }
  }
  return { advisories: deliveries, upstream, affecting, remembered, memory };
}

/** Sent while its fix was offered, yet a cycle finished since and the workflow still waits for it. */
function waitedThroughACycle(observation: ImageObservation, key: string, entry: AdvisoryMemory): boolean {
  const finished = observation.workflow?.lastCycleFinishedAt;
  return observation.workflow?.waiting.has(key) === true && finished !== undefined && Date.parse(finished) > Date.parse(entry.sentAt);
}

/** Counts of a plan's deliveries by reason, for the poll report. */
export function countByReason(plans: readonly Pick<ImagePlan, 'advisories'>[]): Record<DeliveryReason, number> {
  const counts: Record<DeliveryReason, number> = { new: 0, 'fix-arrived': 0, 'still-waiting': 0, retraction: 0 };
  for (const plan of plans) for (const delivery of plan.advisories) counts[delivery.reason] += 1;
  return counts;
}
