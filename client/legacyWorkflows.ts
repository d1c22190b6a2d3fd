/**
 * Catalog image workflows started before tempered built two Debian releases
 * are named `image:<name>:<variant>` and publish bookworm images. Their
 * successors are `image:<name>:bookworm:<variant>`: left running, both would
 * move the same `bookworm` tag. `tempered up` ends them once their successor
 * exists. Nothing they hold is lost for good: the successor's first cycle
 * resolves the newest packages, and the monitor delivers every advisory that
 * still affects it.
 */
import type { Client } from '@temporalio/client';
import { listImageWorkflows } from './status';

const LEGACY_ID = /^image:([a-z0-9][a-z0-9.+-]*):(runtime|dev)$/;

/** `image:base:runtime` -> `image:base:bookworm:runtime`; undefined for any other id. */
export function successorOf(workflowId: string): string | undefined {
  const match = LEGACY_ID.exec(workflowId);
  return match ? `image:${match[1]}:bookworm:${match[2]}` : undefined;
}

/** Terminates every running legacy workflow whose successor is among `started`; returns the ids ended. */
export async function endLegacyImageWorkflows(client: Client, started: ReadonlySet<string>): Promise<string[]> {
  const ended: string[] = [];
  for (const info of await listImageWorkflows(client)) {
    const successor = successorOf(info.workflowId);
    if (!successor || !started.has(successor)) continue;
    await client.workflow.getHandle(info.workflowId).terminate(`superseded by ${successor}: one workflow per Debian release`);
    ended.push(info.workflowId);
  }
  return ended;
}
