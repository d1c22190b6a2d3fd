/**
 * A real, signed Debian repository served on 127.0.0.1, for tests that need
 * an upstream they control: publish a new version of a package, withdraw
 * one, or break the archive in the ways a mirror or an attacker could
 * (altered InRelease, index not matching its hash, expired Valid-Until).
 *
 * Everything is made by Debian's own tools, so what tempered reads is what
 * a Debian mirror serves: `dpkg-deb --build` for packages, `apt-ftparchive`
 * for Packages and Release, `gpg --clearsign` for InRelease, with a
 * throwaway key. Needs the Debian packages dpkg, apt-utils, gnupg, gpgv and
 * xz-utils.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { craftDeb, type CraftedEntry } from './debCraft';

export interface FakePackage {
  name: string;
  version: string;
  /** Source package name; defaults to the binary name. */
  source?: string;
  /** Source version when it differs from the binary's (binNMUs, epochs on one side). */
  sourceVersion?: string;
  architecture: 'amd64' | 'all';
  /** A Depends field as written in a control file, e.g. `libc6 (>= 2.36)`. */
  depends?: string;
  /** Files the package installs, by absolute path. */
  files?: Record<string, string>;
  /** Executables the package installs (mode 0755), by absolute path: the host file whose bytes to ship. */
  executables?: Record<string, string>;
  /**
   * The data.tar entries exactly as given, written by hand (debCraft.ts) instead of by dpkg-deb: for
   * names and types dpkg-deb refuses to build (absolute, `..`, links out of the tree, device nodes).
   */
  raw?: CraftedEntry[];
}

export interface AptRepoOptions {
  /** Working directory for the archive tree and the public keyring; the caller removes it. */
  dir: string;
  suite?: string;
  /** Origin and Label of the Release file. */
  origin?: string;
  /** Valid-Until is this many seconds after each signing; default one week, as Debian's security suite. */
  validForSeconds?: number;
  /** Announce `Acquire-By-Hash: yes` and keep every index also under `by-hash/SHA256/<hex>`, as Debian does. */
  acquireByHash?: boolean;
}

export interface AptRepo {
  /** Archive root (holds `dists/` and `pool/`), e.g. `http://127.0.0.1:40123`. */
  url: string;
  suite: string;
  component: 'main';
  /** Public key of the signing key, as a binary keyring file that gpgv reads. */
  keyringPath: string;
  /** Adds packages (older versions stay, as in a real archive) and re-signs. */
  publish(packages: readonly FakePackage[]): Promise<void>;
  /** Withdraws one version from the pool and the indexes, and re-signs. */
  remove(name: string, version: string): Promise<void>;
  /** Alters the signed text of InRelease after signing: gpgv must report BADSIG. */
  breakSignature(): Promise<void>;
  /** Adds a stanza to every Packages file without updating Release: hashes no longer match. */
  corruptIndex(): Promise<void>;
  /** Re-signs with a Valid-Until one hour in the past. */
  expire(): Promise<void>;
  /**
   * Keeps a copy of the signed indexes as they are now; the function it returns serves them again
   * (a replay of this older, still validly signed, archive state). The pool only grows, so the
   * .debs those indexes name are still there.
   */
  saveIndexes(): Promise<() => Promise<void>>;
  /** Stops the server and the gpg-agent and deletes the signing key. Keeps `dir`. */
  close(): Promise<void>;
}

/** Fixed mtimes in every .deb: the same FakePackage always gives the same bytes. */
const SOURCE_DATE_EPOCH = '1700000000';
const ONE_WEEK_SECONDS = 7 * 24 * 3600;

interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: string | Buffer;
}

function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, LC_ALL: 'C', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout));
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(options.input);
  });
}

/** Debian's pool layout: `pool/main/<l>/<source>/`, `lib` sources under `lib<x>`. */
function poolDirectory(source: string): string {
  const prefix = source.startsWith('lib') ? source.slice(0, 4) : source.slice(0, 1);
  return join('pool', 'main', prefix, source);
}

/** Pool file name: the epoch is not part of it, as in Debian. */
function debFileName(pkg: Pick<FakePackage, 'name' | 'version' | 'architecture'>): string {
  return `${pkg.name}_${pkg.version.replace(/^[0-9]+:/, '')}_${pkg.architecture}.deb`;
}

function controlFile(pkg: FakePackage): string {
  const source = pkg.source ?? pkg.name;
  const sourceVersion = pkg.sourceVersion ?? pkg.version;
  const lines = [
    `Package: ${pkg.name}`,
    `Version: ${pkg.version}`,
    `Architecture: ${pkg.architecture}`,
    'Maintainer: tempered tests <tests@tempered.invalid>',
  ];
  if (source !== pkg.name || sourceVersion !== pkg.version) {
    lines.push(sourceVersion === pkg.version ? `Source: ${source}` : `Source: ${source} (${sourceVersion})`);
  }
  if (pkg.depends) lines.push(`Depends: ${pkg.depends}`);
  lines.push('Section: misc', 'Priority: optional', `Description: ${pkg.name} for tempered tests`);
  return `${lines.join('\n')}\n`;
}

async function buildDeb(pkg: FakePackage, stagingRoot: string, output: string): Promise<void> {
  if (pkg.raw) {
    await mkdir(dirname(output), { recursive: true });
    await writeFile(output, await craftDeb(controlFile(pkg), pkg.raw));
    return;
  }
  const root = join(stagingRoot, `${pkg.name}_${pkg.version.replace(/:/g, '%3a')}_${pkg.architecture}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, 'DEBIAN'), { recursive: true, mode: 0o755 });
  await writeFile(join(root, 'DEBIAN', 'control'), controlFile(pkg), { mode: 0o644 });
  const entries = [
    ...Object.entries(pkg.files ?? {}).map(([path, content]) => ({ kind: 'file', path, mode: 0o644, bytes: async () => content })),
    ...Object.entries(pkg.executables ?? {}).map(([path, hostFile]) => ({ kind: 'executable', path, mode: 0o755, bytes: () => readFile(hostFile) })),
  ];
  for (const { kind, path, mode, bytes } of entries) {
    const target = normalize(join(root, path));
    if (!target.startsWith(root + sep) || target.startsWith(join(root, 'DEBIAN'))) {
      throw new Error(`FakePackage ${pkg.name}: ${kind} path ${path} escapes the package root`);
    }
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, await bytes(), { mode });
    // The mode the package ships, whatever the umask (writeFile's mode only applies to a new file, through the umask).
    await chmod(target, mode);
  }
  await mkdir(dirname(output), { recursive: true });
  await run('dpkg-deb', ['--build', '--root-owner-group', root, output], { env: { SOURCE_DATE_EPOCH } });
  await rm(root, { recursive: true, force: true });
}

/** apt-ftparchive walks the pool in directory order; sort by Filename so the index does not depend on it. */
function sortStanzas(packages: string): string {
  const stanzas = packages.split(/\n\n+/).filter((stanza) => stanza.trim().length > 0);
  const filename = (stanza: string): string => /^Filename: (.*)$/m.exec(stanza)?.[1] ?? '';
  stanzas.sort((a, b) => (filename(a) < filename(b) ? -1 : filename(a) > filename(b) ? 1 : 0));
  return stanzas.map((stanza) => `${stanza.trim()}\n`).join('\n');
}

async function listDebs(directory: string): Promise<string[]> {
  const found: string[] = [];
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await listDebs(path)));
    else if (entry.name.endsWith('.deb')) found.push(path);
  }
  return found;
}

/** gpg without prompts, on the key ring in `home`. */
function gpg(home: string, args: readonly string[], input?: string): Promise<Buffer> {
  return run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
    env: { GNUPGHOME: home },
    ...(input === undefined ? {} : { input }),
  });
}

class SigningKey {
  private constructor(
    private readonly home: string,
    readonly fingerprint: string,
  ) {}

  /**
   * A new ed25519 key in a fresh GNUPGHOME under the system temp dir (kept
   * short: gpg-agent's socket path must fit in 108 bytes).
   */
  static async create(): Promise<SigningKey> {
    const home = await mkdtemp(join(tmpdir(), 'tempered-gpg-'));
    await chmod(home, 0o700);
    await gpg(home, ['--quick-gen-key', 'tempered test archive <archive@tempered.invalid>', 'ed25519', 'sign', 'never']);
    const listing = (await gpg(home, ['--with-colons', '--list-secret-keys'])).toString();
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing)?.[1];
    if (!fingerprint) throw new Error('gpg generated no key');
    return new SigningKey(home, fingerprint);
  }

  exportPublicKey(): Promise<Buffer> {
    return gpg(this.home, ['--export', this.fingerprint]);
  }

  clearsign(text: string): Promise<Buffer> {
    return gpg(this.home, ['--local-user', this.fingerprint, '--digest-algo', 'SHA256', '--clearsign'], text);
  }

  async destroy(): Promise<void> {
    await run('gpgconf', ['--kill', 'gpg-agent'], { env: { GNUPGHOME: this.home } }).catch(() => undefined);
    await rm(this.home, { recursive: true, force: true });
  }
}

/** Serves `root` read-only; nothing outside it is reachable. */
function serveDirectory(root: string) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end();
      return;
    }
    try {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      const file = normalize(join(root, path));
      if (relative(root, file).startsWith('..') || !(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch {
      response.writeHead(404).end();
    }
  };
}

export async function createAptRepo(options: AptRepoOptions): Promise<AptRepo> {
  const suite = options.suite ?? 'tempered-test';
  const origin = options.origin ?? 'tempered-test';
  const archive = join(options.dir, 'archive');
  const staging = join(options.dir, 'staging');
  const suiteDir = join(archive, 'dists', suite);
  const indexDir = join(suiteDir, 'main', 'binary-amd64');
  const keyringPath = join(options.dir, 'archive-keyring.gpg');
  await mkdir(indexDir, { recursive: true });
  await mkdir(join(archive, 'pool'), { recursive: true });

  const key = await SigningKey.create();

  const writeIndexes = async (packages: string): Promise<void> => {
    const files: [string, Buffer][] = [
      ['Packages', Buffer.from(packages)],
      ['Packages.gz', gzipSync(packages, { level: 9 })],
      ['Packages.xz', await run('xz', ['--stdout', '-9'], { input: packages })],
    ];
    for (const [name, content] of files) {
      await writeFile(join(indexDir, name), content);
      if (options.acquireByHash) {
        // Old by-hash files stay, so a client holding an older InRelease still finds its indexes.
        const byHash = join(indexDir, 'by-hash', 'SHA256');
        await mkdir(byHash, { recursive: true });
        await writeFile(join(byHash, createHash('sha256').update(content).digest('hex')), content);
      }
    }
  };

  const sign = async (validForSeconds = options.validForSeconds ?? ONE_WEEK_SECONDS, dateOffsetSeconds = 0) => {
    // Old Release files would be listed inside the new one (apt-ftparchive's default patterns).
    await rm(join(suiteDir, 'Release'), { force: true });
    await rm(join(suiteDir, 'InRelease'), { force: true });
    const date = new Date(Date.now() + dateOffsetSeconds * 1000).toUTCString();
    const setting = (name: string, value: string) => ['-o', `APT::FTPArchive::Release::${name}=${value}`];
    const release = await run(
      'apt-ftparchive',
      [
        ...setting('Origin', origin),
        ...setting('Label', origin),
        ...setting('Suite', suite),
        ...setting('Codename', suite),
        ...setting('Architectures', 'amd64'),
        ...setting('Components', 'main'),
        ...setting('Description', 'tempered test archive'),
        ...setting('Date', date),
        ...setting('ValidTime', String(validForSeconds)),
        ...(options.acquireByHash ? setting('Acquire-By-Hash', 'yes') : []),
        'release',
        suiteDir,
      ],
      { cwd: archive },
    );
    await writeFile(join(suiteDir, 'Release'), release);
    await writeFile(join(suiteDir, 'InRelease'), await key.clearsign(release.toString()));
  };

  const regenerate = async (): Promise<void> => {
    const packages = (await run('apt-ftparchive', ['packages', 'pool'], { cwd: archive })).toString();
    await writeIndexes(sortStanzas(packages));
    await sign();
  };

  const serve = serveDirectory(archive);
  const server = createServer((request, response) => void serve(request, response));
  try {
    await writeFile(keyringPath, await key.exportPublicKey());
    await regenerate();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    // Leave no gpg-agent or listening socket behind a failed start.
    if (server.listening) server.close();
    await key.destroy();
    throw error;
  }
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    suite,
    component: 'main',
    keyringPath,

    async publish(packages) {
      for (const pkg of packages) {
        const target = join(archive, poolDirectory(pkg.source ?? pkg.name), debFileName(pkg));
        if (await stat(target).then(() => true, () => false)) {
          const what = `${pkg.name} ${pkg.version} ${pkg.architecture}`;
          throw new Error(`${what} is already published; archives never replace a version`);
        }
        await buildDeb(pkg, staging, target);
      }
      await regenerate();
    },

    async remove(name, version) {
      const fileName = (architecture: FakePackage['architecture']) => debFileName({ name, version, architecture });
      const matches = (await listDebs(join(archive, 'pool'))).filter(
        (path) => path.endsWith(`/${fileName('amd64')}`) || path.endsWith(`/${fileName('all')}`),
      );
      if (matches.length === 0) throw new Error(`${name} ${version} is not published`);
      for (const path of matches) await unlink(path);
      await regenerate();
    },

    async breakSignature() {
      const path = join(suiteDir, 'InRelease');
      const signed = (await readFile(path)).toString();
      await writeFile(path, signed.replace(/^Date: .*$/m, 'Date: Fri, 01 Jan 2100 00:00:00 UTC'));
    },

    async corruptIndex() {
      const packages = (await readFile(join(indexDir, 'Packages'))).toString();
      const injected = [
        'Package: injected',
        'Version: 1.0',
        'Architecture: amd64',
        'Filename: pool/main/i/injected/injected_1.0_amd64.deb',
        'Size: 1',
        `SHA256: ${'0'.repeat(64)}`,
        'Description: not in the signed Release',
      ].join('\n');
      await writeIndexes(`${packages}\n${injected}\n`);
    },

    async expire() {
      await sign(-3600, -2 * 24 * 3600);
    },
    async saveIndexes() {
      const saved = await mkdtemp(join(options.dir, 'saved-'));
      await cp(suiteDir, saved, { recursive: true });
      return async () => {
        await rm(suiteDir, { recursive: true, force: true });
        await cp(saved, suiteDir, { recursive: true });
      };
    },

    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await key.destroy();
      await rm(staging, { recursive: true, force: true });
    },
  };
}
