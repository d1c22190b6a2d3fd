/**
 * Python bytecode for a runtime image, as python3's maintainer scripts
 * (py3compile) would write it: a runtime image never runs them, and without
 * .pyc files every container start compiles each module it imports again
 * (importing json, ssl, asyncio, email, http.client and decimal: 1.26 s
 * without, 0.43 s with, python:bookworm, measured). The image cannot cache
 * them itself: nonroot cannot write to /usr/lib/python3.X.
 *
 * The compiler is the image's own interpreter, so it is image code: it runs
 * in the sandbox (lib/sandbox/run.ts) on a copy of the tree in a private
 * tmpfs, as root of a user namespace only, with no network. What comes back
 * is a tar the builder reads with its own rules: only `__pycache__/*.pyc`
 * files next to a `.py` of the tree are taken, each into the layer of the
 * package that shipped its source.
 *
 * Reproducible, because the layer digest depends on these bytes: hash-based
 * .pyc (what py_compile writes when SOURCE_DATE_EPOCH is set), a fixed
 * PYTHONHASHSEED (set and frozenset constants are marshalled in hash order),
 * one process (-j1), and compileall walks each directory in sorted order.
 */
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { imagePathOf } from '../../domain/rootfs/names';
import type { ImageTree, TreeNode } from '../../domain/rootfs/tree';
import type { SandboxAccount } from '../sandbox/account';
import { runSandboxed } from '../sandbox/run';
import type { ContentSource } from './content';
import { tarOf } from './layerWriter';

/** Debian's site directory, shared by every python3.X. */
const DIST_PACKAGES = '/usr/lib/python3/dist-packages';
const MAX_BYTECODE_BYTES = 1024 ** 3;

export const compiledDirectories = (tree: ImageTree, python: string): string[] =>
  [`/usr/lib/${python}`, DIST_PACKAGES].filter((dir) => tree.get(dir)?.type === 'directory');

/** Whether `path` is Python source the compiler will see. */
export const isCompiledSource = (tree: ImageTree, interpreters: readonly string[], path: string): boolean =>
  path.endsWith('.py') && interpreters.some((python) => compiledDirectories(tree, python).some((dir) => path.startsWith(`${dir}/`)));

export async function compileBytecode(
  tree: ImageTree,
  content: ContentSource,
  interpreters: readonly string[],
  options: { account: SandboxAccount; sourceDateEpoch: number; timeoutMs?: number },
): Promise<number> {
  const nodes = tree.list().filter((n) => n.path !== '/');
  await content.load(nodes.filter((n) => n.type === 'file'));
  const compile = interpreters
    .map((python) => `chroot root /usr/bin/${python} -s -m compileall -q -j1 ${compiledDirectories(tree, python).join(' ')}`)
    .join(' && ');
  const sandbox = runSandboxed({
    account: options.account,
    userNamespace: 'own',
    script: `mkdir root && tar -x -C root --no-same-owner -f - && ${compile} && cd root && find usr/lib -name '*.pyc' -type f -print0 | tar -c --null -T - -f -`,
    env: { PYTHONHASHSEED: '0', SOURCE_DATE_EPOCH: String(options.sourceDateEpoch), PATH: '/usr/bin:/bin:/usr/sbin:/sbin' },
    stdin: tarOf(nodes, (n) => content.bytes(n)),
    timeoutMs: options.timeoutMs ?? 10 * 60_000,
  });
  const compiled = new Map<string, Buffer>();
  let total = 0;
  const tar = extract();
  tar.on('entry', (header, body, next) => {
    const named = imagePathOf(header.name);
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => {
      total += (c as Buffer).length;
      if (total > MAX_BYTECODE_BYTES) tar.destroy(new Error(`the sandboxed compiler wrote more than ${MAX_BYTECODE_BYTES} bytes of bytecode`));
      chunks.push(c as Buffer);
    });
    body.on('end', () => {
      if (header.type === 'file' && named.ok) compiled.set(named.path, Buffer.concat(chunks));
      next();
    });
  });
  await Promise.all([pipeline(sandbox.stdout, tar), sandbox.done]);
  return placeBytecode(tree, interpreters, compiled);
}

/** Adds each `<dir>/__pycache__/<name>.cpython-3X.pyc` whose `<dir>/<name>.py` is in the tree, owned like its source. */
function placeBytecode(tree: ImageTree, interpreters: readonly string[], compiled: Map<string, Buffer>): number {
  let placed = 0;
  for (const [path, bytes] of [...compiled].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const m = /^(.*)\/__pycache__\/([^/]+)\.cpython-3\d+(?:\.opt-[12])?\.pyc$/.exec(path);
    const source = m ? tree.get(`${m[1]}/${m[2]}.py`) : undefined;
    if (!source || source.type === 'directory' || !isCompiledSource(tree, interpreters, source.path)) continue;
    const owner = source.owner;
    const cacheDir = `${m?.[1]}/__pycache__`;
    if (!tree.get(cacheDir)) tree.put({ path: cacheDir, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: source.mtime, size: 0, owner });
    if (tree.get(cacheDir)?.type !== 'directory') continue;
    const node: Omit<TreeNode, 'owner'> & { owner: string } = { path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: source.mtime, size: bytes.length, content: { kind: 'bytes', bytes }, owner };
    tree.put(node);
    placed++;
  }
  return placed;
}
