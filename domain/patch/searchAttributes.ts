/**
 * Search attributes that make the Temporal UI answer "what is each image
 * doing": registered by scripts/up (`temporal server start-dev
 * --search-attribute`) or, on a real server, by `tempered up`
 * (client/namespaceSetup.ts); set by the patch workflow on every phase change.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { utf8Bytes } from './state';

export const ImageNameKey = defineSearchAttributeKey('ImageName', SearchAttributeType.KEYWORD);
export const ImageVariantKey = defineSearchAttributeKey('ImageVariant', SearchAttributeType.KEYWORD);
/** `trixie`, `bookworm`; absent on customizations. */
export const ImageReleaseKey = defineSearchAttributeKey('ImageRelease', SearchAttributeType.KEYWORD);
export const PatchPhaseKey = defineSearchAttributeKey('PatchPhase', SearchAttributeType.KEYWORD);
export const PendingAdvisoriesKey = defineSearchAttributeKey('PendingAdvisories', SearchAttributeType.KEYWORD_LIST);
export const PublishedDigestKey = defineSearchAttributeKey('PublishedDigest', SearchAttributeType.KEYWORD);

/** `Name=Type` pairs in the form `temporal server start-dev --search-attribute` takes. */
export const SEARCH_ATTRIBUTE_FLAGS = [
  'ImageName=Keyword',
  'ImageRelease=Keyword',
  'ImageVariant=Keyword',
  'PatchPhase=Keyword',
  'PendingAdvisories=KeywordList',
  'PublishedDigest=Keyword',
] as const;

/**
 * Temporal refuses a search attribute value larger than 2,048 bytes (the
 * server's default `limit.searchAttributesSizeOfValueLimit`, measured on the
 * JSON of a KeywordList) with BadSearchAttributes, failing the workflow task
 * that set it, and the server then terminates the workflow. An image with a
 * long tail of unfixed CVEs gets there (about 120 ids), so PendingAdvisories
 * holds the first ids, in order, that fit in this budget (some margin kept);
 * the `state` query and the current details still give all of them.
 */
export const PENDING_ADVISORIES_MAX_BYTES = 1900;

/** The longest prefix of `ids` whose KeywordList JSON fits in `maxBytes`. */
export function pendingAdvisoriesValue(ids: readonly string[], maxBytes = PENDING_ADVISORIES_MAX_BYTES): string[] {
  const kept: string[] = [];
  let bytes = 2; // []
  for (const id of ids) {
    const next = bytes + (kept.length ? 1 : 0) + utf8Bytes(JSON.stringify(id));
    if (next > maxBytes) break;
    kept.push(id);
    bytes = next;
  }
  return kept;
}
