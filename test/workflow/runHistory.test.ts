/**
 * A run whose history passed 4 MiB between two workflow tasks (the server
 * writes every accepted signal at once, however soon the workflow would
 * continue as new) can still be read: exported, replayed, inspected.
 * The SDK's `fetchHistory` asks for the server's default page, which is then
 * over the 4 MiB a gRPC client accepts (the flake of the lifecycle flood
 * test); `fetchRunHistory` pages small.
 * No worker polls the run's queue here, so every signal stays in its history.
 */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { fetchRunHistory, HISTORY_PAGE_EVENTS } from '../../client/runHistory';
import { SIGNAL_LIMITS } from '../../workflows/messages';
import { startTemporal, type TestTemporal } from '../support/temporal';

jest.setTimeout(120_000);

/** What a gRPC client accepts in one message unless told otherwise. */
const GRPC_MESSAGE_LIMIT = 4 * 1024 * 1024;

let server: TestTemporal;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  server = await startTemporal();
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

test('a run of over 4 MiB of signals is read whole in bounded pages', async () => {
  const handle = await client.workflow.start('imagePatchWorkflow', { taskQueue: 'nobody-polls-this', workflowId: 'large-history', args: [] });
  const padding = 'x'.repeat(SIGNAL_LIMITS.advisoryBytes - 1024);
  const signals = 160;
  for (let i = 0; i < signals; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => handle.signal('advisory', { id: `CVE-2026-${i + j}`, padding })));
  }

  const history = await fetchRunHistory(client, handle.workflowId, handle.firstExecutionRunId);
  // Over what one gRPC message may carry: the SDK's fetchHistory gets RESOURCE_EXHAUSTED for it (after ~40 s of its client's retries).
  expect(temporal.api.history.v1.History.encode(history).finish().length).toBeGreaterThan(GRPC_MESSAGE_LIMIT);
  const signalled = history.events?.filter((e) => e.workflowExecutionSignaledEventAttributes) ?? [];
  expect(signalled).toHaveLength(signals);
  expect(history.events?.[0]?.eventId?.toString()).toBe('1');
  expect(history.events?.map((e) => Number(e.eventId))).toEqual(history.events?.map((_, i) => i + 1));
  expect(signals).toBeGreaterThan(HISTORY_PAGE_EVENTS);
  await handle.terminate('test done');
});
