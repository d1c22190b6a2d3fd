/**
 * Helpers of the signing tests: a tiny but real OCI image pushed with
 * RegistryClient (no docker), the attestation inputs of one build, a key
 * pair on disk, and a runner for the cosign binaries scripts/install-tools
 * builds.
 */
import { PLATFORMS } from '../../domain/platform';
import { spawn } from 'node:child_process';
import { startOfflineTuf } from './offlineTuf';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pack } from 'tar-stream';
import type { SignAndAttachInput } from '../../lib/signing/attach';
import { initKeys, loadSigningKey, type SigningKey } from '../../lib/signing/keys';
import { RegistryClient } from '../../lib/oci/registry';
import { startRegistry, type TestRegistry } from '../support/registry';
import type { Advisory } from '../../domain/advisory/record';
import { sha256Digest } from '../../domain/digest';
import { vexRecords } from '../../domain/attest/vex';
import { buildVulns } from '../../domain/attest/vulns';
import { imageConfigJson, imageManifestJson } from '../../domain/oci/image';
import { MediaType } from '../../domain/oci/mediaTypes';
import { ctrfReport } from '../../domain/report/ctrf';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'sign');

export function registryClient(host: string): RegistryClient {
  return new RegistryClient({ host, scheme: 'http', timeoutMs: 20_000 });
}

/** One-file tar layer, gzip with a fixed header: the same `content` always gives the same digest. */
async function tinyLayer(content: string): Promise<{ tar: Buffer; gz: Buffer }> {
  const archive = pack();
  archive.entry({ name: 'etc/tempered-test', mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  const tar = Buffer.concat(chunks);
  return { tar, gz: zlib.gzipSync(tar, { level: 6 }) };
}

/** Pushes a one-layer image and tags it; returns its manifest digest. */
export async function pushTinyImage(registry: RegistryClient, repository: string, content: string, tag?: string): Promise<string> {
  const { tar, gz } = await tinyLayer(content);
  const layer = { mediaType: MediaType.ociLayerGzip, digest: sha256Digest(gz), size: gz.length };
  const config = Buffer.from(
    imageConfigJson({ platform: PLATFORMS.amd64,
      created: '1970-01-01T00:00:00Z',
      user: '65532',
      env: { PATH: '/usr/bin' },
      entrypoint: ['/bin/true'],
      cmd: [],
      workdir: '/',
      labels: {},
      diffIds: [sha256Digest(tar)],
      history: [{ created: '1970-01-01T00:00:00Z', createdBy: 'tempered test' }],
    }),
  );
  const configDescriptor = { mediaType: MediaType.ociConfig, digest: sha256Digest(config), size: config.length };
  await registry.pushBlob(repository, layer.digest, gz);
  await registry.pushBlob(repository, configDescriptor.digest, config);
  const manifest = imageManifestJson(configDescriptor, [layer], {});
  const digest = await registry.putManifest(repository, sha256Digest(manifest), manifest, MediaType.ociManifest);
  if (tag) await registry.putManifest(repository, tag, manifest, MediaType.ociManifest);
  return digest;
}

export interface TestKeys {
  dir: string;
  privateKeyPath: string;
  publicKeyPath: string;
  key: SigningKey;
  publicKeyPem: string;
}

const keyDirs: string[] = [];

/** A key pair in its own temp dir (removed by removeKeys). */
export function makeKeys(name = 'tempered'): TestKeys {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-keys-'));
  keyDirs.push(dir);
  const files = initKeys(path.join(dir, 'keys', `${name}.key`));
  return { dir, ...files, key: loadSigningKey(files.privateKeyPath), publicKeyPem: fs.readFileSync(files.publicKeyPath, 'utf8') };
}

export function removeKeys(): void {
  for (const dir of keyDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

const advisory = (over: Partial<Advisory> & Pick<Advisory, 'id' | 'source'>): Advisory => ({
  aliases: [],
  fixedVersion: null,
  status: 'no-fix',
  severity: 'medium',
  origin: 'osv',
  ...over,
});

/** The attestation inputs of one build of the `signtest` image, fixed in time so retries are byte-identical. */
export function buildInputs(options: { vexTimestamp?: string; extraWaiting?: string } = {}): Omit<SignAndAttachInput, 'registry' | 'repository' | 'digest' | 'key'> {
  const sbom: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'sbom.cdx.json'), 'utf8'));
  const definition = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'definition.json'), 'utf8')) as Record<string, unknown>;
  const packages = [
    { name: 'libc6', version: '2.36-9+deb12u14', architecture: 'amd64', source: 'glibc', filename: 'pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb', sha256: 'a'.repeat(64) },
    { name: 'libssl3', version: '3.0.15-1~deb12u1', architecture: 'amd64', source: 'openssl', filename: 'pool/updates/main/o/openssl/libssl3_3.0.15-1~deb12u1_amd64.deb', sha256: 'b'.repeat(64) },
    { name: 'tzdata', version: '2025b-0+deb12u1', architecture: 'all', source: 'tzdata', filename: 'pool/main/t/tzdata/tzdata_2025b-0+deb12u1_all.deb', sha256: 'c'.repeat(64) },
  ];
  const waiting = [{ advisory: advisory({ id: 'CVE-2025-0001', source: 'glibc' }), why: 'no fixed version in bookworm yet', installedVersion: '2.36-9+deb12u14', since: '2026-01-15T09:00:00Z' }];
  if (options.extraWaiting) waiting.push({ advisory: advisory({ id: options.extraWaiting, source: 'tzdata' }), why: 'no fixed version yet', installedVersion: '2025b-0+deb12u1', since: '2026-01-15T09:30:00Z' });
  const inputs = {
    sbom,
    ctrf: ctrfReport(
      [
        { name: 'runs as nonroot', status: 'passed', duration: 120, suite: 'runtime' },
        { name: 'no shell', status: 'passed', duration: 80, suite: 'runtime' },
        { name: 'ca bundle present', status: 'skipped', duration: 0, suite: 'runtime' },
      ],
      { image: 'signtest', tag: 'bookworm', digest: 'sha256:' + '0'.repeat(64), start: 1768467600000, stop: 1768467601000 },
    ),
    provenance: {
      definition,
      lockDigest: 'sha256:' + 'd'.repeat(64),
      internal: { image: 'signtest', variant: 'runtime', cycle: 3 },
      packages: packages.map(({ source: _source, ...p }) => ({ ...p, archive: 'http://deb.debian.org/debian' })),
      builderId: 'https://tempered.dev/builders/temporal-worker/v1',
      builderVersion: { tempered: '0.1.0' },
      invocation: { workflowId: 'image:signtest:bookworm:runtime', runId: '0195f3c2-7b1e-7c3a-9d4e-1a2b3c4d5e6f' },
      startedOn: '2026-01-15T10:00:00Z',
      finishedOn: '2026-01-15T10:02:30Z',
    },
    vex: {
      author: 'tempered',
      timestamp: options.vexTimestamp ?? '2026-01-15T10:02:30Z',
      packages,
      records: vexRecords(
        [
          {
            advisory: advisory({ id: 'CVE-2024-5535', aliases: ['DSA-5757-1'], source: 'openssl', fixedVersion: '3.0.15-1~deb12u1', status: 'fixed', severity: 'high' }),
            verdict: { status: 'fixed', version: '3.0.15-1~deb12u1', inCycle: 3 },
            at: '2026-01-15T10:02:00Z',
          },
          {
            advisory: advisory({ id: 'CVE-2023-4039', source: 'gcc-12' }),
            verdict: { status: 'not_affected', justification: 'component_not_present', detail: 'gcc-12 is not installed in the runtime variant' },
            at: '2026-01-15T10:01:00Z',
          },
        ],
        waiting,
      ),
    },
  };
  return { ...inputs, vulns: buildVulns({ records: inputs.vex.records, version: '0.1.0', snapshotAt: '2026-01-15T10:00:00Z', scanStartedOn: '2026-01-15T10:00:00Z', scanFinishedOn: '2026-01-15T10:02:30Z' }) };
}

export interface CosignRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The cosign binary of one major, or undefined while scripts/install-tools has not built it. */
export function cosignBinary(major: 'v2' | 'v3'): string | undefined {
  const bin = path.join(process.env.TEMPERED_TOOLS_DIR ?? '/var/cache/tempered', `cosign-${major}`, 'cosign');
  try {
    fs.accessSync(bin, fs.constants.X_OK);
    return bin;
  } catch {
    return undefined;
  }
}

/**
 * Runs cosign offline: its own HOME (no ~/.sigstore or docker credentials of
 * the machine) and no TUF root, which verification with --key must not need.
 */
export function runCosign(bin: string, args: string[], home: string): Promise<CosignRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TUF_ROOT: path.join(home, '.sigstore', 'root'), DOCKER_CONFIG: path.join(home, '.docker') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A cosign HOME of its own, with cosign v2 initialized against an offline TUF mirror (v3 needs none with --key). */
export interface CosignHome {
  home: string;
  close(): Promise<void>;
}

export async function startCosignHome(trustedRoot: string): Promise<CosignHome> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-cosign-home-'));
  const tuf = await startOfflineTuf(trustedRoot);
  const close = async () => {
    await tuf.close();
    fs.rmSync(home, { recursive: true, force: true });
  };
  const v2 = cosignBinary('v2');
  const init = v2 ? await runCosign(v2, ['initialize', '--mirror', tuf.url, '--root', tuf.rootJson], home) : undefined;
  if (init && init.code !== 0) {
    await close();
    throw new Error(init.stderr);
  }
  return { home, close };
}

export interface SigningRegistry {
  registry: TestRegistry;
  client: RegistryClient;
  keys: TestKeys;
}

/** Registers the file's beforeAll/afterAll: a registry of its own and a key pair; `ready` receives them. */
export function useSigningRegistry(ready: (parts: SigningRegistry) => void): void {
  let registry: TestRegistry | undefined;
  beforeAll(async () => {
    registry = await startRegistry();
    ready({ registry, client: registryClient(registry.host), keys: makeKeys() });
  });
  afterAll(async () => {
    await registry?.stop();
    removeKeys();
  });
}
