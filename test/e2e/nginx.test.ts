/**
 * The nginx runtime image does what its definition promises, run the way
 * its header tells users to: as 65532 from the first process on, on port
 * 8080, with a read-only root filesystem and tmpfs only on /run/nginx and
 * /var/lib/nginx, network none, access log on stdout. The image has no
 * client to ask it with, so the host's static busybox is mounted read-only
 * (as the image-test probe does) and `wget` runs inside the container.
 */
import { NEWEST_RELEASE } from '../../domain/debian/releases';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { dockerClient } from '../../lib/engine/client';
import { loadImage } from '../../lib/engine/load';
import { PROBE_HOST_PATH } from '../../lib/imageTests/probe';
import { readLockFile } from '../../lib/locks/lockStore';
import { effectiveSpec } from '../../domain/catalog/effective';
import { lockFileFor, readDefinition } from '../../domain/catalog/load';
import { buildForTest } from '../support/builds';
import { waitFor } from '../support/ports';

jest.setTimeout(300_000);

const NGINX = path.join(__dirname, '../../catalog/nginx.yaml');
const PROBE = '/.probe/busybox';
const TAG = `tempered-e2e/nginx:${process.pid}`;

let work: string;
let container: Docker.Container;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-nginx-'));
  const { built, store } = await buildForTest(effectiveSpec(readDefinition(NGINX), NEWEST_RELEASE, 'runtime'), readLockFile(lockFileFor(NGINX, NEWEST_RELEASE)), work);
  const image = await loadImage(store, built.digest, TAG); // the image ID
  // Config, entrypoint and user all from the image: only the hardening flags a user would add.
  container = await dockerClient().createContainer({
    Image: image,
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Tmpfs: { '/run/nginx': 'uid=65532,gid=65532', '/var/lib/nginx': 'uid=65532,gid=65532' },
      Binds: [`${PROBE_HOST_PATH}:${PROBE}:ro`],
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
    },
    Labels: { 'dev.tempered.test': 'true' },
  });
  await container.start();
});

afterAll(async () => {
  await container?.remove({ force: true }).catch(() => undefined);
  await dockerClient().getImage(TAG).remove({ noprune: true }).catch(() => undefined); // untags; absent when already loaded
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function exec(command: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const run = await container.exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = await run.start({});
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: { out: Buffer[]; err: Buffer[] } = { out: [], err: [] };
  out.on('data', (d: Buffer) => chunks.out.push(d));
  err.on('data', (d: Buffer) => chunks.err.push(d));
  dockerClient().modem.demuxStream(stream, out, err);
  await new Promise((resolve) => stream.on('end', resolve));
  const { ExitCode } = await run.inspect();
  return { exitCode: ExitCode ?? -1, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

async function logs(): Promise<{ stdout: string; stderr: string }> {
  const raw = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  const out = new PassThrough();
  const err = new PassThrough();
  const text = { stdout: '', stderr: '' };
  out.on('data', (d: Buffer) => (text.stdout += d.toString()));
  err.on('data', (d: Buffer) => (text.stderr += d.toString()));
  dockerClient().modem.demuxStream(new PassThrough().end(raw), out, err);
  await new Promise((r) => setImmediate(r));
  return text;
}

test('serves the default page on 8080 with a read-only root filesystem', async () => {
  let page = '';
  await waitFor('nginx on 127.0.0.1:8080 inside the container', async () => {
    const result = await exec([PROBE, 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/']);
    page = result.stdout;
    return result.exitCode === 0;
  });
  expect(page).toContain('Welcome to nginx');
  const missing = await exec([PROBE, 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/nope']);
  expect(missing.exitCode).not.toBe(0);
});

test('every process runs as 65532 and the access log goes to stdout', async () => {
  const ps = await exec([PROBE, 'sh', '-c', `for s in /proc/[0-9]*/status; do ${PROBE} grep -E '^(Name|Uid):' "$s" | ${PROBE} tr '\\n' ' '; echo; done`]);
  const nginx = ps.stdout.split('\n').filter((line) => line.includes('nginx'));
  expect(nginx.length).toBeGreaterThanOrEqual(2); // master and at least one worker
  for (const line of nginx) expect(line).toMatch(/Uid:\s+65532\s+65532\s+65532\s+65532/);
  const { stdout, stderr } = await logs();
  expect(stdout).toMatch(/"GET \/ HTTP\/1\.1" 200 /);
  expect(stdout).toMatch(/"GET \/nope HTTP\/1\.1" 404 /);
  expect(stderr).not.toMatch(/\[(emerg|alert|crit)\]/);
  expect(stderr).not.toMatch(/Permission denied|Read-only file system/);
});
