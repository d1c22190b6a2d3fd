/**
 * How long unique tags stay (docs/CONSUMING.md, "Tags that stay"): every
 * unique tag younger than `keepDays`, and the newest `keepNewest` of each
 * moving tag whatever their age. A digest is never deleted while anything
 * still names it: a moving tag, a unique tag that stays, or a
 * customization's manifest naming it as its base (customizations are
 * published in their base's repository). Pure: the activity reads the tags,
 * this decides, the activity deletes.
 */
import { compareUniqueTags, parseUniqueTag, type UniqueTag, uniqueTagDay } from './uniqueTag';

export interface RetentionPolicy {
  keepDays: number;
  keepNewest: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepDays: 90, keepNewest: 10 };

export interface TaggedManifest {
  tag: string;
  digest: string;
  /** The base digest the manifest names (org.opencontainers.image.base.digest), for a customization. */
  baseDigest?: string;
  /** An index: its platform manifests. */
  platforms?: string[];
}

export interface RetentionPlan {
  /** Unique tags whose digest goes, with it. */
  expired: { tag: string; digest: string }[];
  /** Digests to delete (each once), and the platform manifests of deleted indexes nothing kept lists. */
  digests: string[];
  platforms: string[];
  kept: number;
}

/** cosign's and the referrers fallback's tags: they follow their image, never counted as images. */
export const isSignatureTag = (tag: string) => /^sha256-[0-9a-f]{64}(\.sig|\.att)?$/.test(tag);

export function planRetention(tagged: readonly TaggedManifest[], policy: RetentionPolicy, now: Date): RetentionPlan {
  const images = tagged.filter((t) => !isSignatureTag(t.tag));
  const unique = images.flatMap((t) => {
    const parsed = parseUniqueTag(t.tag);
    return parsed ? [{ ...t, parsed }] : [];
  });
  const cutoff = now.getTime() - policy.keepDays * 86_400_000;
  const byMoving = new Map<string, (TaggedManifest & { parsed: UniqueTag })[]>();
  for (const u of unique) byMoving.set(u.parsed.movingTag, [...(byMoving.get(u.parsed.movingTag) ?? []), u]);
  const expired: (TaggedManifest & { parsed: UniqueTag })[] = [];
  for (const list of byMoving.values()) {
    list.sort((a, b) => compareUniqueTags(a.parsed, b.parsed));
    // A tag's day ends at the next midnight: one published on the cutoff's day stays.
    expired.push(...list.filter((u, i) => i >= policy.keepNewest && uniqueTagDay(u.parsed).getTime() + 86_400_000 <= cutoff));
  }
  const expiredTags = new Set(expired.map((e) => e.tag));
  const stays = images.filter((t) => !expiredTags.has(t.tag));
  const named = new Set(stays.flatMap((t) => [t.digest, ...(t.baseDigest ? [t.baseDigest] : []), ...(t.platforms ?? [])]));
  for (const t of images) if (t.baseDigest) named.add(t.baseDigest);
  const going = expired.filter((e) => !named.has(e.digest));
  const digests = [...new Set(going.map((e) => e.digest))];
  const platforms = [...new Set(going.flatMap((e) => e.platforms ?? []))].filter((p) => !named.has(p));
  return { expired: going.map(({ tag, digest }) => ({ tag, digest })), digests, platforms, kept: images.length - going.length };
}
