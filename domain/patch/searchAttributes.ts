/**
 * Search attributes that make the Temporal UI answer "what is each image
 * doing": registered by scripts/up (`temporal server start-dev
 * --search-attribute`), set by the patch workflow on every phase change.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ImageNameKey = defineSearchAttributeKey('ImageName', SearchAttributeType.KEYWORD);
export const ImageVariantKey = defineSearchAttributeKey('ImageVariant', SearchAttributeType.KEYWORD);
export const PatchPhaseKey = defineSearchAttributeKey('PatchPhase', SearchAttributeType.KEYWORD);
export const PendingAdvisoriesKey = defineSearchAttributeKey('PendingAdvisories', SearchAttributeType.KEYWORD_LIST);
export const PublishedDigestKey = defineSearchAttributeKey('PublishedDigest', SearchAttributeType.KEYWORD);

/** `Name=Type` pairs in the form `temporal server start-dev --search-attribute` takes. */
export const SEARCH_ATTRIBUTE_FLAGS = [
  'ImageName=Keyword',
  'ImageVariant=Keyword',
  'PatchPhase=Keyword',
  'PendingAdvisories=KeywordList',
  'PublishedDigest=Keyword',
] as const;
