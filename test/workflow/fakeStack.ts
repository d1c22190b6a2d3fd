/**
 * What the orchestration test files share: a Temporal dev server and a test
 * worker running the real workflows on the in-memory stages (fakeStages.ts),
 * started before the file's tests and stopped after them.
 */
import type { Client } from '@temporalio/client';
import { startTemporal, type TestTemporal } from '../support/temporal';
import { startTestWorker, type TestWorker } from '../support/testWorker';
import { FakeUpstream } from './fakeStages';

export interface FakeStack {
  temporal: TestTemporal;
  upstream: FakeUpstream;
  tw: TestWorker;
  client: Client;
}

/** Registers the file's beforeAll/afterAll; `ready` receives the stack once it runs. */
export function useFakeStack(ready: (stack: FakeStack) => void, options: { webhooksFile?: string } = {}): void {
  let stack: Partial<FakeStack> = {};
  beforeAll(async () => {
    const temporal = await startTemporal();
    const upstream = new FakeUpstream();
    const tw = await startTestWorker(temporal, upstream.activities(), options);
    stack = { temporal, upstream, tw, client: tw.client };
    ready(stack as FakeStack);
  });
  afterAll(async () => {
    await stack.tw?.stop();
    await stack.temporal?.stop();
  });
}
