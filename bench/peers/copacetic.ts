/**
 * The second peer: Copacetic (`copa patch`), which patches an existing image
 * in place on BuildKit, given a Trivy-format report naming the packages to
 * update (its targeted mode). It patches the same published runtime `base`
 * tempered patches, to the same package version, and pushes to the same
 * registry. It tests, signs and attests nothing.
 *
 * Nothing may leave the machine: copa builds its apt tooling from
 * `debian:12-slim` (or from its own mirror of it on ghcr.io), so a BuildKit
 * source policy (EXPERIMENTAL_BUILDKIT_SOURCE_POLICY, CONVERT rules) turns
 * those into a tooling image made here (the naive peer's Debian image with
 * the bench's apt sources), and copa and buildkitd run with a proxy on a
 * closed loopback port for everything but loopback and the Debian mirror:
 * copa's end-of-life lookup (endoflife.date) and any other stray request
 * fail on the machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exec, spawnChild } from '../../lib/process/exec';

export const COPA_BINARY = '/var/cache/tempered/copa-v0.11.0/copacetic';
export const BUILDKITD_BINARY = '/var/cache/tempered/buildkit-v0.23.2/buildkitd';

/** Nothing listens on port 9 of loopback (discard is not served): a request through it is refused at once. */
const CLOSED_PROXY = 'http://127.0.0.1:9';

/**
 * Every request goes to the closed proxy but those to loopback and to the Debian mirror tempered reads too
 * (copa hands these variables to its apt tooling container, and apt honours no_proxy).
 */
function offlineEnv(mirrorHosts: readonly string[]): Record<string, string> {
  const direct = ['127.0.0.1', 'localhost', ...mirrorHosts].join(',');
  return { HTTP_PROXY: CLOSED_PROXY, HTTPS_PROXY: CLOSED_PROXY, http_proxy: CLOSED_PROXY, https_proxy: CLOSED_PROXY, NO_PROXY: direct, no_proxy: direct };
}

/** The names copa asks BuildKit for, for a Debian 12 target (pkg/pkgmgr/dpkg.go getAPTImageName). */
const TOOLING_NAMES = [
  'docker.io/library/debian:12-slim',
  'docker.io/library/debian:stable-slim',
  'ghcr.io/project-copacetic/copacetic/debian:12-slim',
  'ghcr.io/project-copacetic/copacetic/debian:stable-slim',
];

export interface CopaRound {
  totalMs: number;
  /** What copa printed (kept beside the report for a reader). */
  lines: string[];
}

export interface CopaPeer {
  /** Patches `image` (HOST/REPO@DIGEST) to `pkg` `fixedVersion`, tagging and pushing `REPO:tag`. */
  patch(image: string, tag: string, pkg: { name: string; installed: string; fixed: string; advisory: string }): Promise<CopaRound>;
  stop(): Promise<void>;
}

export function copaAvailable(): boolean {
  return fs.existsSync(COPA_BINARY) && fs.existsSync(BUILDKITD_BINARY) && fs.existsSync('/usr/sbin/runc');
}

export async function startCopaPeer(options: { work: string; registry: string; toolingImage: string; mirrorHosts: readonly string[] }): Promise<CopaPeer> {
  const OFFLINE_ENV = offlineEnv(options.mirrorHosts);
  const dir = path.join(options.work, 'buildkit');
  fs.mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'buildkitd.sock');
  fs.writeFileSync(path.join(dir, 'buildkitd.toml'), [
    '[worker.oci]', '  enabled = true', '[worker.containerd]', '  enabled = false',
    `[registry."${options.registry}"]`, '  http = true', '  insecure = true', '',
  ].join('\n'));
  const policy = path.join(dir, 'source-policy.json');
  fs.writeFileSync(policy, JSON.stringify({
    rules: TOOLING_NAMES.map((name) => ({ action: 'CONVERT', selector: { identifier: `docker-image://${name}` }, updates: { identifier: `docker-image://${options.toolingImage}` } })),
  }));
  const log = fs.openSync(path.join(dir, 'buildkitd.log'), 'a');
  const daemon = spawnChild(BUILDKITD_BINARY, [
    '--config', path.join(dir, 'buildkitd.toml'), '--root', path.join(dir, 'root'), '--addr', `unix://${socket}`, '--oci-worker-net=host',
  ], { env: OFFLINE_ENV, stdio: ['ignore', log, log] });
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(socket)) {
    if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`buildkitd did not start (see ${path.join(dir, 'buildkitd.log')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    async patch(image, tag, pkg) {
      const report = path.join(dir, `${tag}.json`);
      fs.writeFileSync(report, JSON.stringify(trivyReport(image, pkg)));
      const lines: string[] = [];
      const started = Date.now();
      await exec(COPA_BINARY, ['patch', '-i', image, '-t', tag, '-r', report, '--addr', `unix://${socket}`, '--push', '--timeout', '5m'], {
        env: { HOME: dir, EXPERIMENTAL_BUILDKIT_SOURCE_POLICY: policy, ...OFFLINE_ENV },
        onLine: (line) => lines.push(line),
      });
      const totalMs = Date.now() - started;
      fs.writeFileSync(path.join(dir, `${tag}.log`), lines.join('\n'));
      return { totalMs, lines };
    },
    async stop() {
      daemon.kill('SIGTERM');
      await new Promise((r) => (daemon.exitCode !== null ? r(undefined) : daemon.once('exit', r)));
      fs.closeSync(log);
    },
  };
}

/** The smallest Trivy JSON report copa reads (pkg/report/trivy.go): one OS-package result, one fixable package. */
function trivyReport(image: string, pkg: { name: string; installed: string; fixed: string; advisory: string }) {
  return {
    SchemaVersion: 2,
    ArtifactName: image,
    ArtifactType: 'container_image',
    Metadata: { OS: { Family: 'debian', Name: '12' }, ImageConfig: { architecture: 'amd64', os: 'linux' } },
    Results: [{
      Target: `${image} (debian 12)`, Class: 'os-pkgs', Type: 'debian',
      Vulnerabilities: [{ VulnerabilityID: pkg.advisory, PkgName: pkg.name, InstalledVersion: pkg.installed, FixedVersion: pkg.fixed, Severity: 'HIGH' }],
    }],
  };
}
