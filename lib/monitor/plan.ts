/**
 * Decides, for one image, what this poll must signal given what earlier
 * polls already signalled. Pure: the activity gathers the facts (impacts,
 * archive offers, newer packages), this answers, the activity delivers and
 * then stores the returned memory.
 *
 * The rules, per image:
 * - An advisory that affects the image (affected, no fix yet, undetermined)
 *   is sent once per advisoryKey (`id/source@fixedVersion`, `#release` for a
 *   record about one release): a new fixed version is a new key and is sent
 *   again. Which records an image hears about at all is impact's answer: a
 *   record of another release is `other-release`, never delivered, so a fix
 *   that reached trixie first patches the trixie images while the bookworm
 *   ones keep waiting on bookworm's own (open) record.
 * - The fix arrived: a key first sent while the archive did not offer its
 *   fixed version sits in the workflow's `waiting` list, re-checked only when
 *   a cycle runs. When the archive starts offering the fix, the key is sent
 *   once more; the workflow moves it back to pending and patches.
 * - Still waiting: the archive offers the fix, the key was sent, a cycle has
 *   finished since, and the workflow still lists the key as waiting. Its
 *   resolve saw an older archive than this poll did (another worker's cached
 *   load), so it is sent again; at most once per cycle, never in a loop.
 * - Retraction: an advisory sent earlier that Debian now marks not affected
 *   (in the same release, or in every release) is sent once with that
 *   status, so the workflow stops waiting for it.
 * - Newer package versions are sent once per `name version`.
 */
import { type Advisory, advisoryKey } from '../../domain/advisory/record';
import type { Release } from '../../domain/debian/releases';
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

/**
 * The issue an advisory is about in its release, whatever its fixed version:
 * `CVE-2024-1234/openssl`, or `CVE-2024-1234/openssl#trixie` for a record
 * about one release (each release's record is its own issue: feeds are
 * deduplicated by it).
 */
export function issueOf(advisory: Pick<Advisory, 'id' | 'source' | 'release'>): string {
  const issue = `${advisory.id}/${advisory.source}`;
  return advisory.release === undefined ? issue : `${issue}#${advisory.release}`;
}

/**
 * advisoryKey is `<id>/<source>@<fixed version or none>`, then `#<release>`
 * for a record about one release; ids, source names and Debian versions
 * never contain `@` or `#`.
 */
function partsOfKey(key: string): { issue: string; release?: string } {
  const at = key.indexOf('@');
  const hash = key.indexOf('#', at);
  return { issue: key.slice(0, at), ...(hash < 0 ? {} : { release: key.slice(hash + 1) }) };
}

/** Two records can speak of the same image when either is about every release, or both about the same one. */
function sameScope(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}

/**
 * Before releases, every image was a bookworm image and no feed record had a
 * release, so an image's memory (and its workflow's `waiting` list) can hold
 * `CVE-2024-1234/openssl@V` for what the feeds now send as
 * `CVE-2024-1234/openssl@V#bookworm`. Such an entry is taken over under the
 * new key: otherwise the first poll after the upgrade would send every
 * advisory such an image has again, each a new key to its workflow and a
 * cycle for nothing. No memory from before holds another release's record.
 */
const RELEASE_OF_MEMORY_BEFORE_RELEASES: Release = 'bookworm';

function keyFromBeforeReleases(advisory: Advisory): string | undefined {
  if (advisory.release !== RELEASE_OF_MEMORY_BEFORE_RELEASES) return undefined;
  return advisoryKey({ id: advisory.id, source: advisory.source, fixedVersion: advisory.fixedVersion });
}

/** The memory entry of `key`, taking over the entry of its key from before releases (see above). */
function entryOf(memory: ImageMemory, advisory: Advisory, key: string): AdvisoryMemory | undefined {
  const current = memory.advisories[key];
  const oldKey = keyFromBeforeReleases(advisory);
  if (current !== undefined || oldKey === undefined) return current;
  const old = memory.advisories[oldKey];
  if (old === undefined) return undefined;
  delete memory.advisories[oldKey];
  memory.advisories[key] = old;
  return old;
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
    const entry = entryOf(memory, advisory, key);
    if (isDeliverable(impact.verdict)) {
      affecting += 1;
      const offered = advisory.fixedVersion !== null && observation.fixOffered(item);
      // A key last sent as "not affected" (the @none key of a no-fix record) that affects again is news.
      if (entry === undefined || entry.status === 'not-affected') {
        deliveries.push({ advisory, reason: 'new' });
        remember(advisory, offered);
      } else if (offered && (!entry.fixOffered || waitedThroughACycle(observation, advisory, key, entry))) {
        deliveries.push({ advisory, reason: entry.fixOffered ? 'still-waiting' : 'fix-arrived' });
        remember(advisory, true);
      } else {
        remembered.advisories += 1;
        entry.seenAt = at;
      }
    } else if (impact.verdict === 'not-affected') {
      const issue = `${advisory.id}/${advisory.source}`;
      const earlier = Object.entries(memory.advisories).filter(([k, e]) => {
        const parts = partsOfKey(k);
        return parts.issue === issue && sameScope(parts.release, advisory.release) && e.status !== 'not-affected';
      });
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
    // other-release never reaches here (assessImpactOnImages leaves it out), and would say nothing either.
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

/**
 * Sent while its fix was offered, yet a cycle finished since and the workflow
 * still waits for it (under its key, or under the key it had before releases).
 */
function waitedThroughACycle(observation: ImageObservation, advisory: Advisory, key: string, entry: AdvisoryMemory): boolean {
  const finished = observation.workflow?.lastCycleFinishedAt;
  const waiting = observation.workflow?.waiting;
  const oldKey = keyFromBeforeReleases(advisory);
  const waits = waiting !== undefined && (waiting.has(key) || (oldKey !== undefined && waiting.has(oldKey)));
  return waits && finished !== undefined && Date.parse(finished) > Date.parse(entry.sentAt);
}

/** Counts of a plan's deliveries by reason, for the poll report. */
export function countByReason(plans: readonly Pick<ImagePlan, 'advisories'>[]): Record<DeliveryReason, number> {
  const counts: Record<DeliveryReason, number> = { new: 0, 'fix-arrived': 0, 'still-waiting': 0, retraction: 0 };
  for (const plan of plans) for (const delivery of plan.advisories) counts[delivery.reason] += 1;
  return counts;
}
