/**
 * The Temporal Web UI as on-call uses it, in Debian's headless Chromium
 * driven by playwright-core: a dev server started with its UI, three image
 * workflows (base:runtime published, base:dev failed its image test,
 * static:runtime as the one the filter must leave out), then the workflow
 * list filtered by `ImageName="base"` and by PatchPhase, with the search
 * attributes as columns, and the failed workflow's current details.
 * Screenshots go to test-artifacts/ (git-ignored) for a person to look at.
 *
 * Stage activities are doubles (fakeStages.ts): this is about what the
 * workflows tell the UI, not about building images.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { ErrorType } from '../../activities/types';
import { listRuns } from '../../client/imageHistory';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import type { ImageRef } from '../../domain/image';
import { startTemporal, type TestTemporal } from '../support/temporal';
import { startTestWorker, type TestWorker } from '../support/testWorker';
import { until, waitForState } from '../support/wait';
import { FakeUpstream } from '../workflow/fakeStages';

jest.setTimeout(240_000);

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
/** The UI keeps its column choice in localStorage: show the search attributes next to the ids. */
const COLUMNS = ['Status', 'Workflow ID', 'ImageName', 'ImageRelease', 'ImageVariant', 'PatchPhase', 'PendingAdvisories', 'PublishedDigest', 'Start'];

const images: ImageRef[] = [
  { kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' },
  { kind: 'catalog', name: 'base', release: 'bookworm', variant: 'dev' },
  { kind: 'catalog', name: 'static', release: 'bookworm', variant: 'runtime' },
];

let server: TestTemporal;
let tw: TestWorker;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await startTemporal({ ui: true });
  const stages = new FakeUpstream().activities();
  tw = await startTestWorker(server, {
    ...stages,
    // base:dev fails its first image test and stays in phase failed, waiting for on-call.
    testImage: async (input) => {
      if (input.image.kind === 'catalog' && input.image.name === 'base' && input.image.variant === 'dev') {
        throw ApplicationFailure.nonRetryable('1 of 9 image tests failed: the CA bundle was generated: /etc/ssl/certs/ca-certificates.crt is empty', ErrorType.imageTestFailed);
      }
      return stages.testImage(input);
    },
  });
  for (const image of images) await ensureImageWorkflow(tw.client, tw.config, image, { debounceSeconds: 1 });
  await waitForState(tw.client, 'image:base:bookworm:runtime', (s) => !!s.published && s.phase === 'idle', 60_000);
  await waitForState(tw.client, 'image:static:bookworm:runtime', (s) => !!s.published && s.phase === 'idle', 60_000);
  await waitForState(tw.client, 'image:base:bookworm:dev', (s) => s.phase === 'failed', 60_000);
  // Visibility is eventually consistent: the UI must find what the test expects on its first load.
  await visible(`ImageName = 'base' AND PatchPhase = 'failed' AND ExecutionStatus = 'Running'`, ['image:base:bookworm:dev']);
  await visible(`ImageName = 'base' AND PatchPhase = 'idle' AND ExecutionStatus = 'Running'`, ['image:base:bookworm:runtime']);

  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  const columns = JSON.stringify({ default: COLUMNS.map((label) => ({ label })) });
  await context.addInitScript({ content: `localStorage.setItem('namespace-workflow-table-columns', ${JSON.stringify(columns)});` });
});

afterAll(async () => {
  await browser?.close();
  await tw?.stop();
  await server?.stop();
});

async function visible(query: string, expected: string[]): Promise<void> {
  await until(
    `visibility to list ${expected.join(', ')} for ${query}`,
    async () => {
      const ids: string[] = [];
      for await (const info of tw.client.workflow.list({ query })) ids.push(info.workflowId);
      return JSON.stringify(ids.sort()) === JSON.stringify(expected);
    },
    30_000,
    250,
  );
}

/** The workflow list with a visibility query, as the UI's filter bar writes it into the address. */
async function openList(page: Page, query: string): Promise<Map<string, string>> {
  await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  const row = page.getByTestId('workflows-summary-configurable-table-row');
  await row.first().waitFor({ timeout: 60_000 });
  const rows = new Map<string, string>();
  for (const row of await page.getByTestId('workflows-summary-configurable-table-row').all()) {
    const text = (await row.innerText()).replace(/\s+/g, ' ').trim();
    const id = /image:[a-z]+:[a-z]+:[a-z]+/.exec(text)?.[0];
    if (id) rows.set(id, text);
  }
  return rows;
}

/**
 * Text the UI renders as markdown: summaries and details are drawn in
 * iframes of their own (/render?content=...), so look in every frame.
 */
async function rendered(page: Page, text: RegExp, timeoutMs = 60_000): Promise<string> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await page.waitForTimeout(250)) {
    for (const frame of page.frames()) {
      const body = (await frame.innerText('body').catch(() => '')).trim();
      if (frame !== page.mainFrame() && text.test(body)) return body;
    }
  }
  throw new Error(`the UI never rendered ${text}`);
}

test('ImageName="base" lists both base workflows with their search attributes, and nothing else', async () => {
  const page = await context.newPage();
  const rows = await openList(page, 'ImageName="base" AND ExecutionStatus="Running"');
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-imagename-base.png') });
  expect([...rows.keys()].sort()).toEqual(['image:base:bookworm:dev', 'image:base:bookworm:runtime']);
  const runtime = await tw.client.workflow.getHandle('image:base:bookworm:runtime').query<{ published: { digest: string } }>('state');
  expect(rows.get('image:base:bookworm:runtime')).toMatch(new RegExp(`Running image:base:bookworm:runtime base bookworm runtime idle ${runtime.published.digest}`, 'i'));
  expect(rows.get('image:base:bookworm:dev')).toMatch(/Running image:base:bookworm:dev base bookworm dev failed/i);
  await page.close();
});

test('adding PatchPhase="failed" leaves the failed one, and its page says why', async () => {
  const page = await context.newPage();
  const rows = await openList(page, 'ImageName="base" AND PatchPhase="failed" AND ExecutionStatus="Running"');
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-imagename-base-patchphase-failed.png') });
  expect([...rows.keys()]).toEqual(['image:base:bookworm:dev']);

  // The row links to the running workflow; its User Metadata shows the current details the workflow sets.
  await page.getByRole('link', { name: 'image:base:bookworm:dev' }).first().click();
  await page.getByRole('tab', { name: /User Metadata/ }).click();
  expect(await rendered(page, /base:bookworm-dev - failed: testImage ImageTestFailed/)).toMatch(/^base:bookworm-dev - failed: testImage ImageTestFailed$/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-base-dev-current-details.png') });
  await page.close();
});

test('the first run of an image carries the static summary and details set at start', async () => {
  const [first] = await listRuns(tw.client, 'image:base:bookworm:runtime');
  const page = await context.newPage();
  await page.goto(`${server.uiUrl}/namespaces/default/workflows/image:base:bookworm:runtime/${first?.runId}/history`);
  await page.getByRole('tab', { name: /User Metadata/ }).click({ timeout: 60_000 });
  expect(await rendered(page, /base bookworm runtime image/)).toBe('base bookworm runtime image');
  expect(await rendered(page, /Long-lived patch workflow for base:bookworm/)).toMatch(/Query state for everything it knows/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-base-runtime-first-run-summary.png') });
  await page.close();
});
