/**
 * What a Temporal server needs before tempered's workflows can start: the namespace and tempered's
 * search attributes. The dev server gets both from flags (scripts/up); a real server (scripts/cluster,
 * docker-compose.yml) gets them here, from `tempered up`. Idempotent: what exists is left alone.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTE_FLAGS } from '../domain/patch/searchAttributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};
/** How long a closed workflow's history stays: long enough for on-call to read a failed cycle after a weekend. */
const RETENTION = '72 hours';

/** Returns what it created, for the caller to say. */
export async function ensureNamespaceSetup(client: Client, namespace: string): Promise<string[]> {
  const created: string[] = [];
  const { workflowService, operatorService } = client.connection;
  try {
    await workflowService.describeNamespace({ namespace });
  } catch (err) {
    if ((err as { code?: number }).code !== 5) throw err; // gRPC NOT_FOUND
    await workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(RETENTION) });
    created.push(`namespace ${namespace}`);
  }
  const { customAttributes } = await operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTE_FLAGS.map((flag) => flag.split('=') as [string, string]).filter(([name]) => !customAttributes?.[name]);
  if (missing.length > 0) {
    await operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type] as number])) });
    created.push(...missing.map(([name, type]) => `search attribute ${name} (${type})`));
  }
  return created;
}
