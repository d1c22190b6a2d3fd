/**
 * What the people who consume the images get, end to end with real parts
 * (the local signed apt repository, Temporal, the registry, cosign v2/v3,
 * Debian chromium): after an advisory patch, `tempered changelog` names the
 * package change and the advisory; stock cosign verifies the changelog and
 * vulnerability attestations; the unique tag resolves to the published
 * digest and the first publish's still to its own; a loopback webhook got
 * exactly one signed `image.published`; `tempered mirror` to a second
 * registry with other credentials yields a copy that `tempered verify` and
 * cosign accept there; `tempered diff` from the first to the latest digest
 * lists every package change in between; the time-to-fix page renders one
 * point per handled advisory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COSIGN_TYPE_FLAG, PredicateType } from '../../domain/attest/predicateTypes';
import type { ChangelogPredicate } from '../../domain/changelog/changelog';
import type { PackageChanges } from '../../domain/changelog/packageDiff';
import { SIGNATURE_HEADER, verifySignature } from '../../domain/notify/webhooks';
import type { SlaReport } from '../../domain/report/timeToFix';
import type { PatchState } from '../../domain/patch/state';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { ensureRetentionSchedule, RETENTION_SCHEDULE_ID } from '../../client/retentionSchedule';
import type { mirrorCatalogWorkflow } from '../../workflows/mirror';
import type { tagRetentionWorkflow } from '../../workflows/retention';
import { launchChromium } from '../support/browser';
import { cliEnv, runCli } from '../support/cli';
import { htpasswdLine, startRegistry, type TestRegistry } from '../support/registry';
import { startStack, type Stack } from '../support/stack';
import { CANARY_DEFINITION, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { until, waitForState } from '../support/wait';
import { startReceiver, type WebhookReceiver } from '../support/webhookReceiver';
import { cosignBinary, type CosignHome, registryClient, runCosign, startCosignHome } from './support';

jest.setTimeout(900_000);

const WORKFLOW = 'image:canary:bookworm:runtime';
const OFFLINE_TRUSTED_ROOT = path.join(__dirname, '..', 'fixtures', 'sign', 'trusted-root-offline.json');
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const MIRROR_USER = 'mirror-writer';
const MIRROR_PASSWORD = `mirror-${Math.random().toString(36).slice(2)}`;
const SECRET = 'the consumer webhook secret';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-consumer-'));
const webhooksFile = path.join(dir, 'webhooks.json');

let upstream: Upstream;
let stack: Stack;
let mirror: TestRegistry;
let receiver: WebhookReceiver;
let cosignHome: CosignHome | undefined;
let env: Record<string, string>;
const published: PatchState[] = [];

const cli = async (args: string[], extra: Record<string, string> = {}) => {
  const result = await runCli(args, { ...env, ...extra });
  if (result.code !== 0) throw new Error(`tempered ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
};
const submit = async (id: string, fixedVersion: string, severity: string) => {
  const file = path.join(dir, `${id}.json`);
  fs.writeFileSync(file, JSON.stringify({ id, source: 'tempered-canary', fixedVersion, severity }));
  await cli(['advisory', 'submit', file, '--json']);
};
const patchedAfter = (digest: string) => waitForState(stack.client, WORKFLOW, (s) => (!!s.published && s.published.digest !== digest && s.phase === 'idle') || s.phase === 'failed');
const ref = (digest: string) => `${stack.registry.host}/tempered/canary@${digest}`;

beforeAll(async () => {
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  receiver = await startReceiver();
  fs.writeFileSync(path.join(dir, 'secret'), SECRET);
  fs.writeFileSync(webhooksFile, JSON.stringify({ webhooks: [] }));
  mirror = await startRegistry({ htpasswd: htpasswdLine(MIRROR_USER, MIRROR_PASSWORD) });
  fs.writeFileSync(path.join(dir, 'mirror-password'), MIRROR_PASSWORD);
  stack = await startStack({ env: { TEMPERED_CATALOG_DIR: writeCatalog({ canary: CANARY_DEFINITION }), TEMPERED_ARCHIVE: upstream.archive, TEMPERED_WEBHOOKS_FILE: webhooksFile } });
  env = cliEnv(stack.config, { TEMPERED_WEBHOOKS_FILE: webhooksFile });
  cosignHome = await startCosignHome(OFFLINE_TRUSTED_ROOT);
  await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'canary', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 1 });
  const first = await waitForState(stack.client, WORKFLOW, (s) => (!!s.published && s.phase === 'idle') || s.phase === 'failed');
  if (!first.published) throw new Error(`canary was not published: ${JSON.stringify(first.failure)}`);
  published.push(first);
  // The first publish found no webhook to tell (its cycle ended: idle); from here on, the receiver gets every event.
  fs.writeFileSync(webhooksFile, JSON.stringify({ webhooks: [{ name: 'consumer', url: receiver.url, secretFile: path.join(dir, 'secret') }] }));

  await upstream.repo.publish([canaryPackage('1.0-2')]);
  await submit('CVE-2099-0101', '1.0-2', 'high');
  published.push(await patchedAfter(first.published.digest));

  // The second patch pulls in a package the image did not have: the diff from the first digest lists both changes.
  await upstream.repo.publish([
    { ...canaryPackage('1.0-3'), depends: 'tempered-canary-data' },
    { name: 'tempered-canary-data', version: '1.0-1', architecture: 'all', files: { '/usr/share/tempered-canary/data': 'data\n' } },
  ]);
  await submit('CVE-2099-0102', '1.0-3', 'critical');
  published.push(await patchedAfter(published[1]!.published!.digest));
  for (const s of published) if (!s.published || s.failure) throw new Error(`a cycle failed: ${JSON.stringify(s.failure)}`);
});
afterAll(async () => {
  await cosignHome?.close();
  await stack?.stop();
  await mirror?.stop();
  await receiver?.close();
  await upstream?.close();
});

/** The first publish, and the one of each patch. */
const publishOf = (i: number) => () => published[i]!.published!;
const [A, B, C] = [publishOf(0), publishOf(1), publishOf(2)];

test('tempered changelog names the package change, the advisory fixed and why; unique tags resolve and never move', async () => {
  const changelog = JSON.parse(await cli(['changelog', `canary:bookworm@${B().digest}`, '--json'])) as ChangelogPredicate;
  expect(changelog).toMatchObject({
    digest: B().digest,
    previousDigest: A().digest,
    cycle: B().cycle,
    packages: { added: [], removed: [], changed: [expect.objectContaining({ name: 'tempered-canary', from: '1.0-1', to: '1.0-2', source: 'tempered-canary', direction: 'upgrade' })] },
    advisories: { fixed: [expect.objectContaining({ id: 'CVE-2099-0101', severity: 'high', version: '1.0-2', source: 'tempered-canary' })], waiting: [] },
  });
  expect(changelog.why).toMatch(/advisories CVE-2099-0101/);
  const table = await cli(['changelog', 'canary:bookworm']);
  expect(table).toMatch(/changed +│ tempered-canary +│ all +│ 1\.0-2 +│ 1\.0-3/);
  expect(table).toMatch(/added +│ tempered-canary-data +│ all +│ +│ 1\.0-1/);
  expect(table).toMatch(/fixed +│ CVE-2099-0102 +│ critical/);

  const registry = registryClient(stack.registry.host);
  for (const p of [A(), B(), C()]) {
    expect(p.uniqueTag).toMatch(new RegExp(`^bookworm-\\d{8}\\.${p.cycle}$`));
    expect(await registry.resolve('tempered/canary', p.uniqueTag!)).toBe(p.digest);
  }
  expect(await registry.resolve('tempered/canary', 'bookworm')).toBe(C().digest);
});

describe.each(['v2', 'v3'] as const)('cosign %s', (major) => {
  const bin = cosignBinary(major);
  (bin ? test : test.skip)('verifies the changelog and the vulnerability report attestations', async () => {
    for (const type of [PredicateType.changelog, PredicateType.vulns, PredicateType.cosignVuln]) {
      const flag = COSIGN_TYPE_FLAG[type] as string;
      const run = await runCosign(bin as string, ['verify-attestation', '--key', stack.config.publicKeyPath, '--insecure-ignore-tlog=true', '--type', flag, ref(B().digest)], cosignHome!.home);
      expect([flag, run.code, run.code === 0 ? '' : run.stderr]).toEqual([flag, 0, '']);
      const statement = JSON.parse(Buffer.from((JSON.parse(run.stdout.trim().split('\n')[0]!) as { payload: string }).payload, 'base64').toString('utf8')) as { predicateType: string; predicate: Record<string, unknown> };
      expect(statement.predicateType).toBe(type);
      if (type !== PredicateType.changelog) {
        expect(statement.predicate).toMatchObject({ scanner: { result: [expect.objectContaining({ id: 'CVE-2099-0101', severity: [{ method: 'debian', score: 'high' }] })] } });
      }
    }
  });
});

test('the webhook got exactly one image.published per patch, signed, with the changelog summary', async () => {
  const events = await until('both patch events delivered', () => {
    const list = receiver.accepted().map((r) => ({ r, e: JSON.parse(r.body) as { id: string; type: string; data: Record<string, unknown> } })).filter(({ e }) => e.type === 'dev.tempered.image.published');
    return list.length >= 2 ? list : undefined;
  }, 60_000);
  expect(events.map(({ e }) => e.id)).toEqual([`${WORKFLOW}/${B().cycle}/image.published`, `${WORKFLOW}/${C().cycle}/image.published`]);
  for (const { r } of events) expect(verifySignature(SECRET, r.body, r.headers[SIGNATURE_HEADER] as string)).toBe(true);
  expect(events[0]!.e.data).toMatchObject({ digest: B().digest, previousDigest: A().digest, uniqueTag: B().uniqueTag, fixed: ['CVE-2099-0101'] });
  expect(events[0]!.e.data.changelog).toMatch(/tempered-canary 1\.0-1 -> 1\.0-2.*fixes CVE-2099-0101 \(high\)/);
});

test('tempered diff from the first to the latest digest lists every package change in between', async () => {
  const diff = JSON.parse(await cli(['diff', `canary:bookworm@${A().digest}`, `${stack.registry.host}/tempered/canary:bookworm`, '--json'])) as PackageChanges & { to: { digest: string } };
  expect(diff.to.digest).toBe(C().digest);
  expect(diff.changed).toEqual([expect.objectContaining({ name: 'tempered-canary', from: '1.0-1', to: '1.0-3' })]);
  expect(diff.added).toEqual([expect.objectContaining({ name: 'tempered-canary-data', version: '1.0-1' })]);
  expect(diff.removed).toEqual([]);
});

test('tempered mirror copies every signature and referrer to a registry with other credentials; tempered verify and cosign accept the copy', async () => {
  const mirrorEnv = { TEMPERED_MIRROR_USERNAME: MIRROR_USER, TEMPERED_MIRROR_PASSWORD_FILE: path.join(dir, 'mirror-password') };
  const denied = await runCli(['mirror', 'canary:bookworm', `${mirror.host}/tempered/canary`], env);
  expect(denied.code).not.toBe(0);
  expect(denied.stderr).toMatch(/401|unauthorized|credentials/i);

  const result = JSON.parse(await cli(['mirror', 'canary:bookworm', `${mirror.host}/tempered/canary`, '--all-tags', '--json'], mirrorEnv)) as { images: { tag: string; digest: string; verified: string[]; signatureTags: number }[] };
  const byTag = Object.fromEntries(result.images.map((i) => [i.tag, i]));
  // `latest` follows bookworm, the newest release canary is built for.
  expect(Object.keys(byTag).sort()).toEqual(['bookworm', 'latest', A().uniqueTag, B().uniqueTag, C().uniqueTag].sort());
  expect(byTag.bookworm).toMatchObject({ digest: C().digest, verified: [C().digest], signatureTags: 3 });

  // A consumer pointed at the mirror, with its credentials: tempered verify, then stock cosign.
  const atMirror = { TEMPERED_REGISTRY: mirror.host, TEMPERED_REGISTRY_USERNAME: MIRROR_USER, TEMPERED_REGISTRY_PASSWORD_FILE: path.join(dir, 'mirror-password') };
  const verified = JSON.parse(await cli(['verify', `${mirror.host}/tempered/canary:bookworm`, '--json'], atMirror)) as { verified: boolean; digest: string; predicateTypes: string[] };
  expect(verified).toMatchObject({ verified: true, digest: C().digest });
  expect(verified.predicateTypes).toEqual(expect.arrayContaining([PredicateType.changelog, PredicateType.vulns, PredicateType.slsaProvenance1]));
  const docker = path.join(cosignHome!.home, '.docker');
  fs.mkdirSync(docker, { recursive: true });
  fs.writeFileSync(path.join(docker, 'config.json'), JSON.stringify({ auths: { [mirror.host]: { auth: Buffer.from(`${MIRROR_USER}:${MIRROR_PASSWORD}`).toString('base64') } } }));
  for (const major of ['v2', 'v3'] as const) {
    const bin = cosignBinary(major);
    if (!bin) continue;
    const run = await runCosign(bin, ['verify-attestation', '--key', stack.config.publicKeyPath, '--insecure-ignore-tlog=true', '--type', 'slsaprovenance1', `${mirror.host}/tempered/canary:bookworm`], cosignHome!.home);
    expect([major, run.code, run.code === 0 ? '' : run.stderr]).toEqual([major, 0, '']);
  }
});

test('tempered report sla times each fix, and its page renders one point per handled advisory', async () => {
  const html = path.join(dir, 'sla.html');
  const report = JSON.parse(await cli(['report', 'sla', '--json', '--html', html])) as SlaReport;
  expect(report.records.map((r) => r.advisory).sort()).toEqual(['CVE-2099-0101', 'CVE-2099-0102']);
  for (const r of report.records) {
    expect(r.image).toBe('canary:bookworm');
    expect(Date.parse(r.publishedAt)).toBeGreaterThanOrEqual(Date.parse(r.learnedAt));
  }
  expect(report.bySeverity.map((s) => s.severity)).toEqual(['critical', 'high']);
  expect(await cli(['report', 'sla'])).toMatch(/critical +│ 1 +│/);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    // Self-contained: any request besides the file itself would be a defect.
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${html}`);
    expect(await page.locator('#per-advisory circle.point').count()).toBe(report.records.length);
    expect(await page.locator('#per-image rect.bar').count()).toBe(1);
    expect(requests).toEqual([`file://${html}`]);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'sla-report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

test('the retention Schedule runs the cleanup, which keeps every tag still inside the policy', async () => {
  expect(await ensureRetentionSchedule(stack.client, stack.config)).toBe('created');
  expect(await ensureRetentionSchedule(stack.client, stack.config)).toBe('updated');
  const handle = stack.client.schedule.getHandle(RETENTION_SCHEDULE_ID);
  await handle.trigger();
  const run = await until('the triggered cleanup starts', async () => (await handle.describe()).info.recentActions[0]?.action.workflow, 30_000);
  const results = await stack.client.workflow.getHandle<typeof tagRetentionWorkflow>(run.workflowId, run.firstExecutionRunId).result();
  // Everything was published today: inside the 90 days of the default policy.
  expect(results).toEqual([{ repository: 'tempered/canary', deleted: [], kept: 5 }]);
  for (const p of [A(), B(), C()]) expect(await registryClient(stack.registry.host).resolve('tempered/canary', p.uniqueTag!)).toBe(p.digest);
});

test('the mirror Schedule copies the whole catalog under another path, with the workers\' credentials, verified there', async () => {
  // The in-process workers read the destination's credentials from their environment, as deployed workers do.
  process.env.TEMPERED_MIRROR_USERNAME = MIRROR_USER;
  process.env.TEMPERED_MIRROR_PASSWORD_FILE = path.join(dir, 'mirror-password');
  expect(await cli(['mirror-schedule', `${mirror.host}/copies`, '--every', '60'])).toMatch(/created the Schedule tempered-mirror/);
  const handle = stack.client.schedule.getHandle('tempered-mirror');
  await handle.trigger();
  const run = await until('the triggered mirror starts', async () => (await handle.describe()).info.recentActions[0]?.action.workflow, 30_000);
  const results = await stack.client.workflow.getHandle<typeof mirrorCatalogWorkflow>(run.workflowId, run.firstExecutionRunId).result();
  expect(results).toEqual([{ repository: 'tempered/canary', to: `${mirror.host}/copies/canary`, tags: 5, blobsCopied: expect.any(Number) }]);
  const atMirror = { TEMPERED_REGISTRY: mirror.host, TEMPERED_REGISTRY_USERNAME: MIRROR_USER, TEMPERED_REGISTRY_PASSWORD_FILE: path.join(dir, 'mirror-password') };
  // Copied under another name: the signatures name tempered/canary, and plain verify says so.
  const renamed = await runCli(['verify', `${mirror.host}/copies/canary:bookworm`], { ...env, ...atMirror });
  expect(renamed.code).toBe(1);
  expect(renamed.stderr).toMatch(/SUBJECT_MISMATCH.*tempered\/canary/);
  const asSigned = JSON.parse(await cli(['verify', `${mirror.host}/copies/canary:bookworm`, '--signed-repository', 'tempered/canary', '--json'], atMirror)) as { verified: boolean; digest: string };
  expect(asSigned).toMatchObject({ verified: true, digest: C().digest });
  await cli(['mirror-schedule', `${mirror.host}/copies`, '--remove']);
});

test('a workflow created anew numbers its unique tags past the old run\'s and moves none of them', async () => {
  const registry = registryClient(stack.registry.host);
  const old = [A(), B(), C()];
  await stack.client.workflow.getHandle(WORKFLOW).terminate('test: on-call re-creates the workflow');
  await ensureImageWorkflow(stack.client, stack.config, { kind: 'catalog', name: 'canary', release: 'bookworm', variant: 'runtime' }, { debounceSeconds: 1 });
  // Its first cycle counts from 1 again and republishes the checked-in lock. Before the fix that publish tagged
  // `.1` and the next patch failed UniqueTagTaken on `.2`; now both are numbered past the old run's tags, so the
  // newest unique tag is always what the moving tag names.
  const first = await waitForState(stack.client, WORKFLOW, (s) => (!!s.published && s.phase === 'idle') || s.phase === 'failed');
  expect(first.failure).toBeUndefined();
  const cycleOf = (s: PatchState) => Number(/\.(\d+)$/.exec(s.published!.uniqueTag!)![1]);
  expect(cycleOf(first)).toBeGreaterThan(Math.max(...old.map((p) => p.cycle)));

  await upstream.repo.publish([{ ...canaryPackage('1.0-4'), depends: 'tempered-canary-data' }]);
  await submit('CVE-2099-0103', '1.0-4', 'high');
  const patched = await patchedAfter(first.published!.digest);
  expect(patched.failure).toBeUndefined();
  expect(cycleOf(patched)).toBeGreaterThan(cycleOf(first));
  for (const p of old) expect(await registry.resolve('tempered/canary', p.uniqueTag!)).toBe(p.digest);
});
