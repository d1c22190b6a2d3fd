/**
 * Webhooks, with the real delivery activities and receivers on loopback:
 * a publish reaches a healthy receiver once, signed; a receiver that fails
 * for a while gets it after retries; one that never answers is retried
 * while the image goes on publishing; a failed cycle and an advisory that
 * waits for its fix are events too; ids are stable.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import type { CatalogImageRef } from '../../domain/image';
import { SIGNATURE_HEADER, verifySignature } from '../../domain/notify/webhooks';
import { advisorySignal } from '../../workflows/messages';
import { cliEnv, runCli } from '../support/cli';
import { recordHistories, type TestWorker } from '../support/testWorker';
import { until, waitForState } from '../support/wait';
import { startReceiver, type WebhookReceiver } from '../support/webhookReceiver';
import type { FakeUpstream } from './fakeStages';
import { useFakeStack } from './fakeStack';

jest.setTimeout(180_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-webhooks-'));
const webhooksFile = path.join(dir, 'webhooks.json');
const secretFile = path.join(dir, 'secret');
const SECRET = 'a webhook secret that never leaves this file';
let healthy: WebhookReceiver;
let flaky: WebhookReceiver;
let dead: WebhookReceiver;
let binary: WebhookReceiver;
let upstream: FakeUpstream;
let tw: TestWorker;
let client: Client;

beforeAll(async () => {
  [healthy, flaky, dead, binary] = await Promise.all([startReceiver(), startReceiver({ failFirst: 2 }), startReceiver({ neverAnswer: true }), startReceiver()]);
  fs.writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  fs.writeFileSync(webhooksFile, JSON.stringify({
    webhooks: [
      { name: 'healthy', url: healthy.url, secretFile },
      { name: 'flaky', url: flaky.url, secretFile, events: ['image.published'] },
      { name: 'dead', url: dead.url, timeoutSeconds: 1, events: ['image.published'] },
      { name: 'binary', url: binary.url, mode: 'binary', events: ['cycle.failed'] },
    ],
  }));
});
useFakeStack((s) => ({ upstream, tw, client } = s), { webhooksFile });
afterAll(async () => {
  await Promise.all([healthy, flaky, dead, binary].map((r) => r?.close()));
});

const image = (name: string): CatalogImageRef => ({ kind: 'catalog', name, release: 'bookworm', variant: 'runtime' });
const events = (r: WebhookReceiver, type: string) => r.accepted().map((q) => JSON.parse(q.body) as { id: string; type: string; data: Record<string, unknown> }).filter((e) => e.type === type);

test('a publish is one signed CloudEvent per receiver; a failing receiver gets it after retries, a dead one never holds the image', async () => {
  await ensureImageWorkflow(client, tw.config, image('hooked'), { debounceSeconds: 0 });
  const first = await waitForState(client, 'image:hooked:bookworm:runtime', (s) => !!s.published, 60_000);

  const published = await until('the healthy receiver has the publish', () => (events(healthy, 'dev.tempered.image.published').length ? events(healthy, 'dev.tempered.image.published') : undefined), 30_000);
  const request = healthy.accepted()[0]!;
  expect(request.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
  expect(verifySignature(SECRET, request.body, request.headers[SIGNATURE_HEADER] as string)).toBe(true);
  expect(verifySignature('another secret', request.body, request.headers[SIGNATURE_HEADER] as string)).toBe(false);
  expect(JSON.parse(request.body)).toMatchObject({
    specversion: '1.0', type: 'dev.tempered.image.published', source: 'tempered:image:hooked:bookworm:runtime', subject: 'hooked:bookworm',
    id: `image:hooked:bookworm:runtime/${first.published!.cycle}/image.published`,
    data: { image: 'hooked:bookworm', digest: first.published!.digest, cycle: first.published!.cycle },
  });

  // The flaky receiver answered 500 twice, then took it: three requests, one event, the same id.
  await until('the flaky receiver accepts', () => (flaky.accepted().length ? true : undefined), 60_000);
  expect(flaky.received).toHaveLength(3);
  expect(new Set(flaky.received.map((r) => (JSON.parse(r.body) as { id: string }).id))).toEqual(new Set([published[0]!.id]));

  // The dead receiver holds every request; meanwhile the image publishes again, and its delivery is retried.
  upstream.versions.zlib = '1:1.2.13.dfsg-1+deb12u1';
  await client.workflow.getHandle('image:hooked:bookworm:runtime').executeUpdate('rebuild', { args: [{ by: 'test' }] });
  const second = await waitForState(client, 'image:hooked:bookworm:runtime', (s) => s.published?.digest !== first.published!.digest, 60_000);
  expect(dead.accepted()).toHaveLength(0);
  await until('the dead receiver is retried', () => (dead.received.length >= 2 ? true : undefined), 30_000);
  const delivery = client.workflow.getHandle(`notify:image:hooked:bookworm:runtime/${first.published!.cycle}/image.published`);
  expect((await delivery.describe()).status.name).toBe('RUNNING');
  await until('the second publish reaches the healthy receiver', () => (events(healthy, 'dev.tempered.image.published').length === 2 ? true : undefined), 30_000);
  expect(events(healthy, 'dev.tempered.image.published')[1]).toMatchObject({ data: { digest: second.published!.digest, previousDigest: first.published!.digest } });
  await delivery.terminate('test done');
  await client.workflow.getHandle(`notify:image:hooked:bookworm:runtime/${second.published!.cycle}/image.published`).terminate('test done');
});

test('a failed cycle and an advisory waiting for its fix are events; binary mode carries the attributes as headers', async () => {
  await ensureImageWorkflow(client, tw.config, image('failing'), { debounceSeconds: 0 });
  await waitForState(client, 'image:failing:bookworm:runtime', (s) => !!s.published, 60_000);
  const handle = client.workflow.getHandle('image:failing:bookworm:runtime');
  // No fix in the archive yet: the advisory waits.
  await handle.signal(advisorySignal, { id: 'CVE-2026-7100', source: 'openssl', fixedVersion: '3.0.99-1~deb12u1', severity: 'critical' });
  const waiting = await until('advisory.waiting delivered', () => events(healthy, 'dev.tempered.advisory.waiting')[0], 60_000);
  expect(waiting.data).toMatchObject({ advisory: 'CVE-2026-7100', source: 'openssl', severity: 'critical' });

  upstream.failTestsFor.add('failing');
  upstream.versions.zlib = '1:1.2.13.dfsg-1+deb12u2';
  await handle.executeUpdate('rebuild', { args: [{ by: 'test' }] });
  const failed = await waitForState(client, 'image:failing:bookworm:runtime', (s) => s.phase === 'failed', 60_000);
  const event = await until('cycle.failed delivered in binary mode', () => binary.accepted()[0], 30_000);
  expect(event.headers).toMatchObject({ 'ce-specversion': '1.0', 'ce-type': 'dev.tempered.cycle.failed', 'ce-id': `image:failing:bookworm:runtime/${failed.current!.number}.1/cycle.failed`, 'content-type': 'application/json' });
  expect(event.headers[SIGNATURE_HEADER]).toBeUndefined();
  expect(JSON.parse(event.body)).toMatchObject({ stage: 'testing', attempt: 1 });
  expect(events(healthy, 'dev.tempered.cycle.failed')).toHaveLength(1);
  upstream.failTestsFor.delete('failing');
  await recordHistories(client, 'image:failing:bookworm:runtime', 'notifications');
});

test('tempered webhooks test sends a signed sample the way the workers do, and refuses a bad URL naming the field', async () => {
  const env = cliEnv(tw.config);
  const before = healthy.received.length;
  const sent = await runCli(['webhooks', 'test', healthy.url, '--secret-file', secretFile, '--json'], env);
  expect(sent.stderr).toBe('');
  expect(JSON.parse(sent.stdout)).toMatchObject({ delivered: true, status: 204 });
  const request = healthy.received[before]!;
  expect(verifySignature(SECRET, request.body, request.headers[SIGNATURE_HEADER] as string)).toBe(true);
  expect(JSON.parse(request.body)).toMatchObject({ type: 'dev.tempered.image.published', subject: 'sample:trixie' });

  const bad = await runCli(['webhooks', 'test', 'ftp://127.0.0.1/hook'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/url: must be an http\(s\) URL/);
  const gone = await startReceiver();
  await gone.close();
  const refused = await runCli(['webhooks', 'test', gone.url], env);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/did not answer \(ECONNREFUSED\)/);
});
