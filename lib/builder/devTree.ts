/**
 * A dev image's tree: mmdebstrap installs the Essential set, apt and the
 * image's packages with dpkg, maintainer scripts included, from a throwaway
 * flat repository holding exactly the locked .debs. Maintainer scripts are
 * image code run as root, so mmdebstrap runs in the sandbox: in its unshare
 * mode, as the unprivileged sandbox account (root only inside its own user
 * namespace, ids from the account's subuid range), in a network namespace
 * with nothing but a down loopback, with a minimal environment. Its result
 * is a tar on stdout, read into the tree with the tree rules (device nodes
 * are left out: the engine provides /dev); nothing it wrote is read back
 * from the host.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { formatGroup, formatPasswd, MINIMAL_GROUPS, MINIMAL_USERS, mergeAccounts, parseGroup, parsePasswd } from '../../domain/catalog/accounts';
import type { VariantSpec } from '../../domain/catalog/effective';
import type { Lock, LockedPackage } from '../../domain/lock';
import type { Architecture } from '../../domain/platform';
import { RELEASE_INFO } from '../../domain/debian/releases';
import { type Accounts, addHomes, applyPaths } from '../../domain/rootfs/paths';
import type { RawEntry } from '../../domain/rootfs/rawEntry';
import { GENERATED_MTIME, ImageTree } from '../../domain/rootfs/tree';
import { exec } from '../process/exec';
import type { Progress } from '../progress';
import type { SandboxAccount } from '../sandbox/account';
import { runSandboxed } from '../sandbox/run';

/** Shipped by the mmdebstrap package. */
const MERGED_USR_HOOKS = '/usr/share/mmdebstrap/hooks/merged-usr';
const DEV_BUILD_TIMEOUT_MS = 40 * 60_000;

export interface DevTree {
  tree: ImageTree;
  accounts: Accounts;
}

export async function assembleDevTree(
  spec: VariantSpec,
  packages: readonly { locked: LockedPackage; deb: string }[],
  options: { lock: Lock; architecture: Architecture; sourceDateEpoch: number; account: SandboxAccount; scratchRoot?: string; progress: Progress },
): Promise<DevTree> {
  const scratch = fs.mkdtempSync(path.join(options.scratchRoot ?? os.tmpdir(), 'tempered-dev-'));
  try {
    const repo = path.join(scratch, 'repo');
    fs.mkdirSync(repo);
    for (const { locked, deb } of packages) fs.symlinkSync(deb, path.join(repo, path.basename(locked.filename)));
    fs.writeFileSync(path.join(repo, 'Packages'), await exec('apt-ftparchive', ['packages', '.'], { cwd: repo }));
    fs.chownSync(scratch, options.account.uid, options.account.gid);
    // Traversable by the subuid range mmdebstrap's root maps to (it holds only the throwaway repository).
    fs.chmodSync(scratch, 0o755);
    options.progress(`mmdebstrap (sandboxed): installing ${packages.length} packages with dpkg`);
    const sandbox = runSandboxed({
      account: options.account,
      userNamespace: 'none',
      cwd: scratch,
      script: [
        'exec mmdebstrap --mode=unshare --variant=apt --format=tar --quiet',
        // Merged /usr the way debootstrap sets it up, with the locked usr-is-merged (policy.ts DEV_REQUIRED_PACKAGES);
        // trixie's base-files ships the symlinks itself, and the hook's check of usr-is-merged would fail on it.
        ...(RELEASE_INFO[options.lock.release].baseFilesMergesUsr ? [] : [`--hook-dir=${MERGED_USR_HOOKS}`]),
        `--architectures=${options.architecture}`,
        `--include=${spec.packages.include.join(',')}`,
        `${options.lock.release} - "deb [trusted=yes] copy://${repo} ./"`,
      ].join(' '),
      env: { SOURCE_DATE_EPOCH: String(options.sourceDateEpoch), TMPDIR: scratch, HOME: scratch },
      timeoutMs: DEV_BUILD_TIMEOUT_MS,
      onStderrLine: (l) => l.startsWith('I:') && options.progress(`mmdebstrap ${l.slice(3)}`),
    });
    const tree = new ImageTree({ specialFiles: 'skip' }, options.sourceDateEpoch);
    const entries: RawEntry[] = [];
    const contents = new Map<string, Buffer>();
    const tar = extract();
    tar.on('entry', (header, body, next) => {
      entries.push({
        name: header.name,
        type: header.type === 'link' ? 'hardlink' : header.type === 'file' || header.type === 'directory' || header.type === 'symlink' ? header.type : header.type === 'fifo' || header.type === 'character-device' || header.type === 'block-device' ? header.type : 'other',
        mode: (header.mode ?? 0) & 0o7777,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        // Clamped as reproducible-builds.org asks: files maintainer scripts wrote carry the clock otherwise.
        mtime: Math.min(Math.floor((header.mtime?.getTime() ?? 0) / 1000), options.sourceDateEpoch),
        size: header.size ?? 0,
        ...(header.linkname ? { linkname: header.linkname } : {}),
      });
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => chunks.push(c as Buffer));
      body.on('end', () => {
        if (header.type === 'file') contents.set(header.name, Buffer.concat(chunks));
        next();
      });
    });
    await Promise.all([pipeline(sandbox.stdout, tar), sandbox.done]);
    tree.addPackage({ name: 'mmdebstrap', version: '0', replaces: [], entries }, (e) => ({ kind: 'bytes', bytes: contents.get(e.name) ?? Buffer.alloc(0) }));
    tree.verify();
    writeAptSources(tree, options.lock.archives);
    const accounts = writeAccounts(tree, spec);
    applyPaths(tree, spec.paths, accounts, GENERATED_MTIME);
    return { tree, accounts };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const fileBytes = (tree: ImageTree, p: string): Buffer | undefined => {
  const node = tree.get(p);
  return node?.type === 'file' && node.content?.kind === 'bytes' ? node.content.bytes : undefined;
};

const putFile = (tree: ImageTree, p: string, text: string, mode = 0o644) => {
  const bytes = Buffer.from(text);
  if (tree.get(p)) tree.remove(p);
  tree.put({ path: p, type: 'file', mode, uid: 0, gid: 0, mtime: GENERATED_MTIME, size: bytes.length, content: { kind: 'bytes', bytes } });
};

/** apt in the image points at the archives the lock was resolved against, not the throwaway repository. */
function writeAptSources(tree: ImageTree, archives: Lock['archives']): void {
  const stanzas = archives.map(({ uri, suites }) =>
    ['Types: deb', `URIs: ${uri}`, `Suites: ${suites.join(' ')}`, 'Components: main', 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'].join('\n'),
  );
  if (tree.get('/etc/apt/sources.list')) tree.remove('/etc/apt/sources.list');
  putFile(tree, '/etc/apt/sources.list.d/debian.sources', stanzas.join('\n\n') + '\n');
}

function writeAccounts(tree: ImageTree, spec: VariantSpec): Accounts {
  const passwd = fileBytes(tree, '/etc/passwd')?.toString('utf8');
  const group = fileBytes(tree, '/etc/group')?.toString('utf8');
  const merged = mergeAccounts(
    { users: passwd !== undefined ? parsePasswd(passwd) : [...MINIMAL_USERS], groups: group !== undefined ? parseGroup(group) : [...MINIMAL_GROUPS] },
    spec.accounts,
  );
  putFile(tree, '/etc/passwd', formatPasswd(merged.users));
  putFile(tree, '/etc/group', formatGroup(merged.groups));
  addHomes(tree, spec.accounts.users, GENERATED_MTIME);
  return merged;
}
