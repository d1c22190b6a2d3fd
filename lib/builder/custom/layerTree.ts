/**
 * The one new layer of a customized image, in memory:
 *  1. the extra packages, under the tree rules (domain/rootfs/tree.ts), pruned like the base;
 *  2. their dpkg metadata: a status.d file each on a base that keeps
 *     status.d (runtime images), or the base's status with theirs appended
 *     on a base with a real status file (dev images, where apt must see them);
 *  3. /etc/passwd and /etc/group merged with the customization's accounts,
 *     and the home directories of its users;
 *  4. the CA bundle: the base's, then the extra certificates (validated PEM),
 *     each also under /usr/local/share/ca-certificates;
 *  5. the customization's files, with their owner and mode: last, so they win,
 * then placed on the base (domain/rootfs/placeOnBase.ts). Order and content
 * depend only on the inputs, so the layer, and so the digest, does too.
 */
import { formatGroup, formatPasswd, type GroupEntry, type PasswdEntry } from '../../../domain/catalog/accounts';
import { CA_BUNDLE_PATH } from '../../../domain/catalog/policy';
import { CUSTOM_CERTIFICATE_DIR } from '../../../domain/customization/effective';
import type { Customization } from '../../../domain/customization/schema';
import { infoName, STATUS_D, STATUS_FILE, statusStanza } from '../../../domain/rootfs/dpkgStatus';
import { placeOnBase } from '../../../domain/rootfs/placeOnBase';
import { pruneTree } from '../../../domain/rootfs/prune';
import { checkRuntimeNames } from '../../../domain/rootfs/runtimePolicy';
import { GENERATED_MTIME, ImageTree, type TreeNode } from '../../../domain/rootfs/tree';
import { ContentSource } from '../content';
import type { BuildPackage } from '../packages';
import type { BaseImage } from './baseImage';

/** A customization file with its content read and its owner resolved to numbers. */
export interface StagedFile {
  path: string;
  content: Buffer;
  mode: string;
  uid: number;
  gid: number;
}

export interface LayerPlan {
  customization: Customization;
  base: BaseImage;
  /** The extra packages, in lock order. */
  packages: readonly BuildPackage[];
  /** The base definition's prune list, applied to what the extras ship. */
  prune: readonly string[];
  /** Base accounts merged with the customization's; undefined when it adds none. */
  accounts?: { users: PasswdEntry[]; groups: GroupEntry[] };
  certificates: readonly { name: string; pems: string[] }[];
  files: readonly StagedFile[];
  /** The base is a runtime image: its rules hold for what the layer adds (setid cleared, no device nodes). */
  runtime: boolean;
}

const bytesNode = (p: string, text: string | Buffer, meta: Partial<TreeNode> = {}): Omit<TreeNode, 'owner'> & { owner?: string } => {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return { path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: GENERATED_MTIME, size: bytes.length, content: { kind: 'bytes', bytes }, ...meta };
};

export function customLayerTree(plan: LayerPlan): { tree: ImageTree; content: ContentSource } {
  const content = new ContentSource(new Map(plan.packages.map((p) => [p.locked.name, p])));
  const tree = new ImageTree(plan.runtime ? { setidAllowed: new Set(plan.customization.allowSetid ?? []), specialFiles: 'refuse' } : { specialFiles: 'skip' });
  for (const pkg of plan.packages) tree.addPackage({ name: pkg.locked.name, version: pkg.locked.version, replaces: pkg.replaces, entries: pkg.entries });
  tree.verify();
  if (plan.packages.length > 0) {
    pruneTree(tree, plan.prune);
    writeDpkgMetadata(tree, plan);
  }
  if (plan.accounts) {
    tree.put(bytesNode('/etc/passwd', formatPasswd(plan.accounts.users)));
    tree.put(bytesNode('/etc/group', formatGroup(plan.accounts.groups)));
    for (const user of plan.customization.accounts?.users ?? []) {
      if (user.home && !plan.base.filesystem.directories[user.home] && !tree.get(user.home)) {
        tree.put({ path: user.home, type: 'directory', mode: 0o700, uid: user.uid, gid: user.gid, mtime: GENERATED_MTIME, size: 0 });
      }
    }
  }
  if (plan.certificates.length > 0) {
    const baseBundle = plan.base.filesystem.files[CA_BUNDLE_PATH] ?? '';
    const extra = plan.certificates.flatMap((c) => c.pems).join('');
    tree.put(bytesNode(CA_BUNDLE_PATH, (baseBundle && !baseBundle.endsWith('\n') ? `${baseBundle}\n` : baseBundle) + extra));
    // Where update-ca-certificates looks: a dev image that regenerates its bundle keeps them.
    for (const c of plan.certificates) tree.put(bytesNode(`${CUSTOM_CERTIFICATE_DIR}/${c.name}.crt`, c.pems.join('')));
  }
  for (const f of plan.files) {
    if (tree.get(f.path)) tree.remove(f.path);
    tree.put(bytesNode(f.path, f.content, { mode: parseInt(f.mode, 8), uid: f.uid, gid: f.gid }));
  }
  const placed = placeOnBase(tree, plan.base.filesystem);
  // On a runtime base the runtime policy holds for what the layer adds, whoever brings it (custom/image.ts checks the bytes).
  if (plan.runtime) checkRuntimeNames(placed, new Set(plan.customization.allowSetid ?? []));
  return { tree: placed, content };
}

function writeDpkgMetadata(tree: ImageTree, plan: LayerPlan): void {
  const added = [...plan.packages].sort((a, b) => (infoName(a.control.control) < infoName(b.control.control) ? -1 : 1));
  const baseStatus = plan.base.filesystem.files[STATUS_FILE];
  if (baseStatus === undefined) {
    for (const pkg of added) {
      const name = infoName(pkg.control.control);
      tree.put({ ...bytesNode(`${STATUS_D}/${name}`, statusStanza(pkg.control.control)), owner: pkg.locked.name });
      if (pkg.control.md5sums) tree.put({ ...bytesNode(`${STATUS_D}/${name}.md5sums`, pkg.control.md5sums), owner: pkg.locked.name });
    }
    return;
  }
  const stanzas = [...(baseStatus.trimEnd() ? [`${baseStatus.trimEnd()}\n`] : []), ...added.map((p) => statusStanza(p.control.control))];
  tree.put(bytesNode(STATUS_FILE, stanzas.join('\n')));
  // dpkg -L on a dev image: each added package's file list, as dpkg would have written it.
  for (const pkg of added) {
    const name = infoName(pkg.control.control);
    const files = pkg.entries.map((e) => (e.name === './' ? '/.' : `/${e.name.replace(/^\.\//, '').replace(/\/$/, '')}`));
    tree.put(bytesNode(`/var/lib/dpkg/info/${name}.list`, `${files.join('\n')}\n`));
    if (pkg.control.md5sums) tree.put(bytesNode(`/var/lib/dpkg/info/${name}.md5sums`, pkg.control.md5sums));
  }
}
