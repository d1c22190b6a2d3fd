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
  const { customAttributes } = await onceKnown(() => operatorService.listSearchAttributes({ namespace }));
  const missing = SEARCH_ATTRIBUTE_FLAGS.map((flag) => flag.split('=') as [string, string]).filter(([name]) => !customAttributes?.[name]);
  if (missing.length > 0) {
    await operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type] as number])) });
    created.push(...missing.map(([name, type]) => `search attribute ${name} (${type})`));
  }
  return created;
}

/**
 * A namespace or search attribute just registered is in the database at once but not in every
 * service's namespace cache, which a real server refreshes every few seconds (the dev server has them
 * before it answers): until then calls naming them fail NOT_FOUND or INVALID_ARGUMENT.
 */
export async function onceKnown<T>(call: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      // A start's ServiceError wraps the gRPC status: NOT_FOUND (namespace), INVALID_ARGUMENT (a search attribute not known yet).
      const code = (err as { code?: number; cause?: { code?: number } }).code ?? (err as { cause?: { code?: number } }).cause?.code;
      if ((code !== 5 && code !== 3) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
