/**
 * Writes the one new layer of a customized image into an empty directory:
 *  1. the extra packages, unpacked like runtime images (dpkg-deb, no
 *     maintainer scripts), pruned like the base,
 *  2. the dpkg database: the base's status with the new packages appended,
 *     and their info/<pkg>.list and .md5sums (so scanners see base + extras),
 *  3. /etc/passwd and /etc/group merged with the customization's accounts,
 *     and the home directories of its users,
 *  4. the CA bundle: the base's, then the extra certificates (validated PEM),
 *     each also under /usr/local/share/ca-certificates,
 *  5. the customization's files, with their owner and mode: last, so they win,
 * then places it on the base (placeOnBase.ts). Order and content depend only
 * on the inputs, so the layer, and so the digest, does too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatGroup, formatPasswd, type GroupEntry, type PasswdEntry } from '../../../domain/catalog/accounts';
import { CA_BUNDLE_PATH } from '../../../domain/catalog/policy';
import { CUSTOM_CERTIFICATE_DIR } from '../../../domain/customization/effective';
import type { Customization } from '../../../domain/customization/schema';
import { mapLimit } from '../../process/pool';
import { extractDeb, readDeb } from '../rootfs/debFile';
import { infoName, statusStanza } from '../rootfs/dpkgDatabase';
import { insideRoot } from '../rootfs/paths';
import { prune } from '../rootfs/prune';
import { DPKG_STATUS } from './baseFilesystem';
import type { BaseImage } from './baseImage';
import { placeOnBase } from './placeOnBase';

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
  /** The extra packages' .deb files, in lock order. */
  debs: readonly string[];
  /** The base definition's prune list, applied to what the extras unpack. */
  prune: readonly string[];
  /** Base accounts merged with the customization's; undefined when it adds none. */
  accounts?: { users: PasswdEntry[]; groups: GroupEntry[] };
  certificates: readonly { name: string; pems: string[] }[];
  files: readonly StagedFile[];
}

export async function stageLayer(root: string, plan: LayerPlan, progress: (step: string) => void): Promise<void> {
  if (plan.debs.length > 0) {
    progress(`unpacking ${plan.debs.length} extra packages`);
    // Sequential on purpose: when two packages ship one path, the later one wins, every time.
    for (const deb of plan.debs) await extractDeb(deb, root);
    prune(root, plan.prune);
    await writeDpkgDatabase(root, plan.base, plan.debs);
  }
  if (plan.accounts) writeAccounts(root, plan);
  if (plan.certificates.length > 0) writeCertificates(root, plan);
  for (const file of plan.files) writeFile(root, file);
  placeOnBase(root, plan.base.filesystem);
}

async function writeDpkgDatabase(root: string, base: BaseImage, debs: readonly string[]): Promise<void> {
  const contents = await mapLimit(debs, 4, readDeb);
  const dpkg = path.join(root, 'var/lib/dpkg');
  const info = path.join(dpkg, 'info');
  fs.mkdirSync(info, { recursive: true });
  const added = [...contents].sort((a, b) => (infoName(a.control) < infoName(b.control) ? -1 : 1));
  const baseStatus = (base.filesystem.files[DPKG_STATUS] ?? '').trimEnd();
  const stanzas = [...(baseStatus ? [baseStatus + '\n'] : []), ...added.map((d) => statusStanza(d.control))];
  fs.writeFileSync(path.join(root, DPKG_STATUS), stanzas.join('\n'), { mode: 0o644 });
  for (const deb of added) {
    const name = infoName(deb.control);
    fs.writeFileSync(path.join(info, `${name}.list`), deb.files.join('\n') + '\n');
    if (deb.md5sums) fs.writeFileSync(path.join(info, `${name}.md5sums`), deb.md5sums);
  }
}

function writeAccounts(root: string, plan: LayerPlan): void {
  const accounts = plan.accounts as NonNullable<LayerPlan['accounts']>;
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/passwd'), formatPasswd(accounts.users), { mode: 0o644 });
  fs.writeFileSync(path.join(root, 'etc/group'), formatGroup(accounts.groups), { mode: 0o644 });
  for (const user of plan.customization.accounts?.users ?? []) {
    if (!user.home || plan.base.filesystem.directories[user.home]) continue;
    const home = insideRoot(root, user.home);
    fs.mkdirSync(home, { recursive: true });
    fs.chownSync(home, user.uid, user.gid);
    fs.chmodSync(home, 0o700);
  }
}

function writeCertificates(root: string, plan: LayerPlan): void {
  const extra = plan.certificates.flatMap((c) => c.pems);
  const baseBundle = plan.base.filesystem.files[CA_BUNDLE_PATH] ?? '';
  const bundle = insideRoot(root, CA_BUNDLE_PATH);
  fs.mkdirSync(path.dirname(bundle), { recursive: true });
  fs.writeFileSync(bundle, (baseBundle && !baseBundle.endsWith('\n') ? baseBundle + '\n' : baseBundle) + extra.join(''), { mode: 0o644 });
  // Where update-ca-certificates looks: a dev image that regenerates its bundle keeps them.
  const dir = insideRoot(root, CUSTOM_CERTIFICATE_DIR);
  fs.mkdirSync(dir, { recursive: true });
  for (const c of plan.certificates) fs.writeFileSync(path.join(dir, `${c.name}.crt`), c.pems.join(''), { mode: 0o644 });
}

function writeFile(root: string, file: StagedFile): void {
  const target = insideRoot(root, file.path);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.rmSync(target, { force: true, recursive: true });
  fs.writeFileSync(target, file.content);
  fs.chownSync(target, file.uid, file.gid);
  fs.chmodSync(target, parseInt(file.mode, 8));
}
