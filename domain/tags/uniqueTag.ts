/**
 * Unique tags: every publish also tags `<tag>-<YYYYMMDD>.<cycle>`
 * (`trixie-20261207.14`), which never moves. The date is the publish's
 * (UTC), the cycle the image workflow's cycle number, which only grows, so
 * tags of one moving tag sort by (date, cycle) as numbers, and by cycle
 * alone. Renovate reads them as `<compatibility>-<major>.<minor>` and Flux
 * extracts the cycle (docs/CONSUMING.md). A rollback moves the moving tag
 * only: the unique tag of the digest it returns to already exists.
 *
 * A workflow created anew (terminated by on-call, or its history lost) counts
 * cycles from 1 again, while the registry still holds the old run's tags: the
 * number a publish tags is therefore past every one the registry has for
 * that moving tag (nextUniqueCycle), and the workflow counts on from it.
 */

/** `<moving tag>-<8 digits>.<digits>`: the moving tag is anything before the last such suffix. */
const UNIQUE_TAG = /^(.+)-(\d{8})\.(\d{1,9})$/;
/** What a registry accepts as a tag (distribution spec). */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface UniqueTag {
  /** The moving tag it was published under (`trixie`, `bookworm-dev`). */
  movingTag: string;
  /** `YYYYMMDD`, UTC. */
  date: string;
  cycle: number;
}

/** The unique tag of a publish of `movingTag` at `publishedAt` (ISO 8601) by cycle `cycle`. */
export function uniqueTagOf(movingTag: string, publishedAt: string, cycle: number): string {
  const at = new Date(publishedAt);
  if (Number.isNaN(at.getTime())) throw new Error(`publishedAt: "${publishedAt}" is not an ISO 8601 time`);
  if (!Number.isSafeInteger(cycle) || cycle < 1) throw new Error(`cycle: ${cycle} is not a positive integer`);
  const tag = formatUniqueTag({ movingTag, date: at.toISOString().slice(0, 10).replace(/-/g, ''), cycle });
  if (!TAG.test(tag)) throw new Error(`unique tag "${tag}" is not a valid tag (moving tag "${movingTag}" too long or malformed)`);
  return tag;
}

/** The parts of a unique tag, or undefined for a moving tag (or any other). */
export function parseUniqueTag(tag: string): UniqueTag | undefined {
  const match = UNIQUE_TAG.exec(tag);
  if (!match) return undefined;
  const [, movingTag, date, cycle] = match as unknown as [string, string, string, string];
  const day = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
  if (Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) return undefined;
  return { movingTag, date, cycle: Number(cycle) };
}

/** When a unique tag was published (its day's start, UTC). */
export function uniqueTagDay(tag: UniqueTag): Date {
  return new Date(`${tag.date.slice(0, 4)}-${tag.date.slice(4, 6)}-${tag.date.slice(6, 8)}T00:00:00Z`);
}

/** Newest first: by date, then cycle. */
export function compareUniqueTags(a: UniqueTag, b: UniqueTag): number {
  return b.date.localeCompare(a.date) || b.cycle - a.cycle;
}

/** The unique tags of `movingTag` among a repository's tags, newest first. */
export function uniqueTagsOf(tags: readonly string[], movingTag: string): UniqueTag[] {
  return tags.flatMap((t) => {
    const parsed = parseUniqueTag(t);
    return parsed?.movingTag === movingTag ? [parsed] : [];
  }).sort(compareUniqueTags);
}

/** The number a publish by cycle `cycle` tags: the cycle, raised past every existing one so numbers keep growing. */
export function uniqueCycleAfter(cycle: number, existing: readonly UniqueTag[]): number {
  return Math.max(cycle, ...existing.map((t) => t.cycle + 1));
}

export function formatUniqueTag(tag: UniqueTag): string {
  return `${tag.movingTag}-${tag.date}.${tag.cycle}`;
}
