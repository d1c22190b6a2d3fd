/**
 * Security checks, end to end with real parts (a Temporal dev server, the
 * compiled worker process and CLI, Debian's docker-registry with htpasswd
 * basic auth, Debian plus a local apt repository, the Docker engine):
 *
 *  1. a registry that demands credentials works end to end: the worker gets
 *     them only from TEMPERED_REGISTRY_USERNAME + TEMPERED_REGISTRY_PASSWORD_FILE,
 *     publishes, and `tempered verify` (given the same two variables) verifies;
 *     without them the registry refuses and the CLI says so;
 *  2. nothing a user or an operator can read holds a secret: the exported
 *     histories of every workflow (all runs), the worker log and every CLI
 *     output contain neither the private signing key (PEM body, DER, the
 *     scalar d in hex, base64 and base64url) nor the registry password (as
 *     typed, base64, or inside the Basic authorization header's base64);
 *  3. every runtime image of the catalog, built by the real builder from its
 *     checked-in lock, runs as 65532:65532 and cannot start a shell
 *     (`--entrypoint /bin/sh` fails, none of the policy's shell or package
 *     manager paths exists);
 *  4. `tempered verify` rejects digest swaps, naming the cause: a tag
 *     re-pointed at another image's manifest, a signature moved onto another
 *     digest, and another repository's image copied in together with all
 *     of its (genuine) signatures.
 */
import { definitionReleases } from '../../domain/catalog/definition';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { loadImage } from '../../lib/engine/load';
import { runInContainer } from '../../lib/engine/run';
import * as tar from 'tar-stream';
import { dockerClient } from '../../lib/engine/client';
import { evaluateShellAttempt } from '../../lib/imageTests/commands';
import { snapshot } from '../../lib/imageTests/probe';
import { readLockFile } from '../../lib/locks/lockStore';
import { RegistryClient } from '../../lib/oci/registry';
import { readReferrers } from '../../lib/signing/bundles';
import { attestationTag, referrersTag, signatureTag } from '../../lib/oci/artifacts';
import { ensureImageWorkflow } from '../../client/imageWorkflows';
import { effectiveSpec } from '../../domain/catalog/effective';
import { definitionFiles, lockFileFor, readDefinition } from '../../domain/catalog/load';
import { NONROOT_GID, NONROOT_UID, RUNTIME_FORBIDDEN_PATHS } from '../../domain/catalog/policy';
import type { ImageManifest } from '../../domain/oci/image';
import type { PatchState } from '../../domain/patch/state';
import { type CliResult, cliEnv, runCli } from '../support/cli';
import { OTHER_DEFINITION } from '../support/customizations';
import { Lane } from '../support/faults';
import { buildForTest } from '../support/builds';
import { htpasswdLine } from '../support/registry';
import { startStack, type Stack } from '../support/stack';
import { CANARY_DEFINITION, canaryPackage, startUpstream, type Upstream, writeCatalog } from '../support/upstream';
import { waitForState } from '../support/wait';
import { fetchRunHistory } from '../../client/runHistory';

jest.setTimeout(1_200_000);

const USERNAME = 'tempered-publisher';
const PASSWORD = `pw-${crypto.randomBytes(18).toString('base64url')}`;
const CATALOG = path.join(__dirname, '../../catalog');

let upstream: Upstream;
let stack: Stack;
let lane: Lane;
let dir: string;
let credentialEnv: Record<string, string>;
/** Every CLI run of this file, kept for the secrets scan. */
const cliOutputs: string[] = [];
const published: Record<string, PatchState> = {};

async function cli(args: string[], env: Record<string, string> = credentialEnv): Promise<CliResult> {
  const result = await runCli(args, { ...cliEnv(lane.config), ...env });
  cliOutputs.push(`$ tempered ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
  return result;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-security-'));
  const passwordFile = path.join(dir, 'registry-password');
  fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  credentialEnv = { TEMPERED_REGISTRY_USERNAME: USERNAME, TEMPERED_REGISTRY_PASSWORD_FILE: passwordFile };
  upstream = await startUpstream([canaryPackage('1.0-1')]);
  stack = await startStack({
    workers: false,
    registry: { htpasswd: htpasswdLine(USERNAME, PASSWORD) },
    env: { TEMPERED_CATALOG_DIR: writeCatalog({ canary: CANARY_DEFINITION, other: OTHER_DEFINITION }), TEMPERED_ARCHIVE: upstream.archive, ...credentialEnv },
  });
  lane = new Lane(stack.config, 'fsecurity', credentialEnv);
  await lane.worker();
  for (const name of ['canary', 'other']) await ensureImageWorkflow(stack.client, lane.config, { kind: 'catalog', name, release: 'bookworm', variant: 'runtime' });
  for (const name of ['canary', 'other']) {
    const state = await waitForState(stack.client, `image:${name}:bookworm:runtime`, (s) => (!!s.published && !s.current) || s.phase === 'failed');
    if (!state.published) throw new Error(`${name} was not published: ${JSON.stringify(state.failure)}`);
    published[name] = state;
  }
});
afterAll(async () => {
  await lane?.stop();
  await stack?.stop();
  await upstream?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const ref = (name: string, tagOrDigest = 'bookworm') => `${stack.registry.host}/tempered/${name}${tagOrDigest.startsWith('sha256:') ? '@' : ':'}${tagOrDigest}`;
const registry = () => new RegistryClient({ host: stack.registry.host, scheme: 'http', credentials: { username: USERNAME, password: PASSWORD } });

describe('a registry with htpasswd basic auth', () => {
  test('refuses anonymous requests', async () => {
    expect((await fetch(`http://${stack.registry.host}/v2/`)).status).toBe(401);
    expect((await fetch(`http://${stack.registry.host}/v2/tempered/canary/tags/list`)).status).toBe(401);
  });

  test('works end to end: published with the credentials from the password file, and `tempered verify` verifies', async () => {
    for (const name of ['canary', 'other']) {
      const digest = published[name]!.published!.digest;
      expect(await registry().resolve(`tempered/${name}`, 'bookworm')).toBe(digest);
      const run = await cli(['verify', ref(name), '--json']);
      expect([run.code, run.stderr]).toEqual([0, '']);
      expect(JSON.parse(run.stdout)).toMatchObject({ verified: true, digest, signature: { legacy: true, bundle: true } });
    }
  });

  test('`tempered verify` without the credentials is refused by the registry, and says so', async () => {
    const run = await cli(['verify', ref('canary')], {});
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/401 unauthorized \(check the registry credentials\)/);
  });
});

describe('no secret in what users and operators read', () => {
  test('exported histories of every workflow, the worker log and the CLI outputs hold neither the private key nor the registry password', async () => {
    // What `tempered history export` writes, for every image workflow (cascade children included, were there any).
    const exported = path.join(dir, 'histories');
    for (const name of ['canary', 'other']) expect((await cli(['history', 'export', `${name}:bookworm`, '--out', exported])).code).toBe(0);
    let histories = '';
    for (const file of walk(exported)) histories += withPayloadsDecoded(fs.readFileSync(file, 'utf8'));
    // And straight from the server, every execution in the namespace, so nothing the CLI skips escapes the scan.
    for await (const info of stack.client.workflow.list()) {
      histories += withPayloadsDecoded(historyToJSON(await fetchRunHistory(stack.client, info.workflowId, info.runId)));
    }
    for (const name of ['canary', 'other']) expect((await cli(['status', `${name}:bookworm`, '--json'])).code).toBe(0);
    expect((await cli(['status'])).code).toBe(0);

    const sources: Record<string, string> = { histories, 'worker log': fs.readFileSync(lane.log, 'utf8'), 'CLI outputs': cliOutputs.join('\n') };
    // The scan must see what it scans: signing happened, credentials were used.
    expect(sources.histories).toContain('signImage');
    expect(sources.histories).toContain(published.canary!.published!.digest);
    expect(sources['CLI outputs']).toContain('"verified": true');

    const found = Object.entries(sources).flatMap(([where, text]) => secretNeedles().filter(([, needle]) => text.includes(needle)).map(([what]) => `${what} in ${where}`));
    expect(found).toEqual([]);
  });
});

/** [what, text] pairs none of which may appear anywhere. */
function secretNeedles(): [string, string][] {
  const pem = fs.readFileSync(stack.config.signingKeyPath, 'utf8');
  const key = crypto.createPrivateKey(pem);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const d = Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url');
  const body = pem.replace(/-----[A-Z ]+-----|\s/g, '');
  const basic = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64');
  return [
    ['PEM body (first 64 chars)', body.slice(0, 64)],
    ['PEM body (last 40 chars)', body.slice(-40)],
    ['DER (base64, middle)', der.toString('base64').slice(20, 84)],
    ['DER (hex, middle)', der.toString('hex').slice(40, 120)],
    ['d (hex)', d.toString('hex')],
    ['d (base64)', d.toString('base64')],
    ['d (base64url)', d.toString('base64url')],
    ['registry password', PASSWORD],
    ['registry password (base64)', Buffer.from(PASSWORD).toString('base64')],
    ['Basic authorization header', basic],
  ];
}

/**
 * A history's JSON with every payload's bytes (base64 in `data`) also given
 * decoded: a secret inside a payload would otherwise hide in base64 whose
 * alignment no needle can guess.
 */
function withPayloadsDecoded(json: string): string {
  const decoded: string[] = [];
  JSON.parse(json, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') decoded.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return `${json}\n${decoded.join('\n')}`;
}

function walk(root: string): string[] {
  return fs.readdirSync(root, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(root, e.name)) : [path.join(root, e.name)]));
}

describe('runtime images of the whole catalog run as non-root with no shell', () => {
  const images = definitionFiles(CATALOG).map((file) => ({ file, definition: readDefinition(file) }));
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-runtime-policy-'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('the catalog has images to check', () => {
    expect(images.length).toBeGreaterThanOrEqual(5);
  });

  test.each(images.flatMap((i) => definitionReleases(i.definition).map((release) => [`${i.definition.name}:${release}`, i, release] as const)))('%s', async (label, { file, definition }, release) => {
    const name = definition.name;
    const spec = effectiveSpec(definition, release, 'runtime');
    const lock = readLockFile(lockFileFor(file, release));
    const { built, store } = await buildForTest(spec, lock, path.join(work, label.replace(':', '-')));
    const image = await loadImage(store, built.digest, `tempered-test/${name}:runtime-policy-${built.digest.slice(7, 19)}`);

    // The image says so, and a process in it really is 65532:65532 with no shell or package manager in reach.
    const config = store.readJson<{ config: { User?: string } }>(store.readJson<ImageManifest>(built.digest).config.digest).config;
    expect(config.User).toBe(`${NONROOT_UID}:${NONROOT_GID}`);
    const seen = await snapshot(image, undefined, RUNTIME_FORBIDDEN_PATHS, []);
    expect({ uid: seen.uid, gid: seen.gid, shells: Object.keys(seen.modes) }).toEqual({ uid: String(NONROOT_UID), gid: String(NONROOT_GID), shells: [] });

    const shell = await runInContainer({ image, entrypoint: ['/bin/sh'], command: ['-c', 'echo shell-ran'], timeoutSeconds: 30 });
    expect(shell).toMatchObject({ exitCode: 127, timedOut: false, killed: false });
    expect(shell.stdout).not.toContain('shell-ran');
    expect(shell.stderr).toMatch(/no such file or directory|not found/i);
    // The image tests try the shell from the probe's container instead (one container fewer): it sees the same.
    expect(evaluateShellAttempt((await snapshot(image, undefined, [], [], undefined, true)).shell)).toBeUndefined();
    if (name === 'base') {
      const withShell = await withFileAdded(image, 'bin/sh', fs.readFileSync('/bin/busybox'));
      const attempt = (await snapshot(withShell, undefined, [], [], undefined, true)).shell;
      expect(attempt).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('shell') });
      expect(evaluateShellAttempt(attempt)).toMatch(/a shell ran/);
    }
  });
});

/** The image with one more file (mode 0755), committed as a new image: what a runtime image with a shell would be. */
async function withFileAdded(image: string, file: string, bytes: Buffer): Promise<string> {
  const docker = dockerClient();
  const container = await docker.createContainer({ Image: image, Cmd: ['/none'], NetworkDisabled: true });
  try {
    const archive = tar.pack();
    archive.entry({ name: file, mode: 0o755 }, bytes);
    archive.finalize();
    await container.putArchive(archive as unknown as NodeJS.ReadableStream, { path: '/' });
    return (await container.commit({ repo: 'tempered-test/with-shell', tag: image.slice(7, 19) })).Id as string;
  } finally {
    await container.remove({ force: true });
  }
}

describe('`tempered verify` rejects a digest swap, naming the cause', () => {
  const canary = () => published.canary!.published!.digest;
  const other = () => published.other!.published!.digest;

  /** Copies a manifest (and the blobs it lists) from one repository of the registry into another, under `tag`. */
  async function copyManifest(from: string, digest: string, to: string, tag: string): Promise<void> {
    const r = registry();
    const fetched = (await r.getManifest(from, digest))!;
    const manifest = JSON.parse(fetched.body.toString()) as ImageManifest & { manifests?: { digest: string }[] };
    for (const blob of [manifest.config, ...(manifest.layers ?? [])].filter(Boolean)) {
      await r.pushBlob(to, blob.digest, await r.getBlob(from, blob.digest));
    }
    for (const child of manifest.manifests ?? []) await copyManifest(from, child.digest, to, child.digest);
    await r.putManifest(to, tag, fetched.body, JSON.parse(fetched.body.toString()).mediaType);
  }

  /** Runs `fn`, then puts canary's tag and signature tags back as published. */
  async function restoringCanary(fn: () => Promise<void>): Promise<void> {
    const r = registry();
    const saved = await Promise.all(['bookworm', signatureTag(canary())].map(async (tag) => [tag, (await r.getManifest('tempered/canary', tag))!] as const));
    try {
      await fn();
    } finally {
      for (const [tag, m] of saved) await r.putManifest('tempered/canary', tag, m.body, JSON.parse(m.body.toString()).mediaType);
    }
    expect((await cli(['verify', ref('canary')])).code).toBe(0);
  }

  test('the tag re-pointed at another signed image\'s manifest: IMAGE_UNSIGNED for that digest in this repository', async () => {
    await restoringCanary(async () => {
      await copyManifest('tempered/other', other(), 'tempered/canary', 'bookworm');
      const run = await cli(['verify', ref('canary'), '--json']);
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({ verified: false, code: 'IMAGE_UNSIGNED', message: expect.stringContaining(`tempered/canary@${other()}`) });
    });
  });

  test('a signature moved onto another digest: SUBJECT_MISMATCH naming both digests', async () => {
    await restoringCanary(async () => {
      // Re-point the tag at the other image (copied in) and give it canary's genuine signature.
      await copyManifest('tempered/other', other(), 'tempered/canary', 'bookworm');
      await copyManifest('tempered/canary', (await registry().getManifest('tempered/canary', signatureTag(canary())))!.digest, 'tempered/canary', signatureTag(other()));
      const run = await cli(['verify', ref('canary'), '--json']);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as { code: string; message: string };
      expect(report.code).toBe('SUBJECT_MISMATCH');
      expect(report.message).toContain(`signature is for ${canary()}, not ${other()}`);
    });
  });

  test('another repository\'s image copied in with all of its genuine signatures: rejected, it was signed for that repository', async () => {
    await restoringCanary(async () => {
      await copyManifest('tempered/other', other(), 'tempered/canary', 'bookworm');
      const r = registry();
      for (const tag of [signatureTag(other()), attestationTag(other()), referrersTag(other())]) {
        await copyManifest('tempered/other', (await r.getManifest('tempered/other', tag))!.digest, 'tempered/canary', tag);
      }
      for (const b of (await readReferrers(r, 'tempered/other', other())).bundles) await copyManifest('tempered/other', b.entry.digest, 'tempered/canary', b.entry.digest);
      const run = await cli(['verify', ref('canary'), '--json']);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as { code: string; message: string };
      expect(report.code).toBe('SUBJECT_MISMATCH');
      expect(report.message).toMatch(/signed for .*tempered\/other, not tempered\/canary/);
    });
  });
});
