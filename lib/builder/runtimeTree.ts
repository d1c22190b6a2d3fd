/**
 * A runtime image's tree, assembled in memory from its packages' manifests:
 * every package's entries under the tree rules (domain/rootfs/tree.ts), the
 * definition's prune list, dpkg's per-package status files, the accounts,
 * the CA bundle (and Java's truststore of it) and the definition's paths. No maintainer script runs and
 * nothing touches the host; the one step that runs image code (Python
 * bytecode) is sandboxed (bytecode.ts) and runs only when a layer that
 * needs it is written.
 */
import { formatGroup, formatPasswd, MINIMAL_GROUPS, MINIMAL_USERS, mergeAccounts, parseGroup, parsePasswd } from '../../domain/catalog/accounts';
import type { VariantSpec } from '../../domain/catalog/effective';
import { CA_BUNDLE_PATH } from '../../domain/catalog/policy';
import { infoName, STATUS_D, statusStanza } from '../../domain/rootfs/dpkgStatus';
import { javaKeyStore, pemCertificates } from '../../domain/rootfs/javaKeyStore';
import { type Accounts, addHomes, applyPaths } from '../../domain/rootfs/paths';
import { pruneTree } from '../../domain/rootfs/prune';
import { checkRuntimeNames } from '../../domain/rootfs/runtimePolicy';
import { GENERATED_MTIME, IMAGE_OWNER, ImageTree, type TreeNode } from '../../domain/rootfs/tree';
import { ContentSource } from './content';
import type { BuildPackage } from './packages';

export interface RuntimeTree {
  tree: ImageTree;
  content: ContentSource;
  accounts: Accounts;
  /** `python3.11` etc.: interpreters whose standard library the image holds (bytecode.ts compiles it). */
  interpreters: string[];
}

const byName = (a: BuildPackage, b: BuildPackage) => (a.locked.name < b.locked.name ? -1 : a.locked.name > b.locked.name ? 1 : 0);
const newestMtime = (pkg: BuildPackage) => pkg.entries.reduce((m, e) => Math.max(m, e.mtime), 0);

export async function assembleRuntimeTree(spec: VariantSpec, packages: readonly BuildPackage[], sourceDateEpoch: number): Promise<RuntimeTree> {
  const sorted = [...packages].sort(byName);
  const content = new ContentSource(new Map(sorted.map((p) => [p.locked.name, p])));
  const tree = new ImageTree({ setidAllowed: new Set(spec.allowSetid), specialFiles: 'refuse' }, sourceDateEpoch);
  for (const pkg of sorted) tree.addPackage({ name: pkg.locked.name, version: pkg.locked.version, replaces: pkg.replaces, entries: pkg.entries });
  tree.verify();
  pruneTree(tree, spec.prune);
  writeStatusFiles(tree, sorted);
  const accounts = await writeAccounts(tree, content, spec, GENERATED_MTIME);
  writeCaBundle(tree, content);
  writeJavaTrustStore(tree, content);
  applyPaths(tree, spec.paths, accounts, GENERATED_MTIME);
  // Names and modes of the whole tree; what each ELF file is, as its layer is written (layers.ts).
  checkRuntimeNames(tree, new Set(spec.allowSetid));
  return { tree, content, accounts, interpreters: pythonInterpreters(tree) };
}

/** `/var/lib/dpkg/status.d/<pkg>` and `<pkg>.md5sums`, each in its package's layer (distroless keeps them there too). */
function writeStatusFiles(tree: ImageTree, packages: readonly BuildPackage[]): void {
  for (const pkg of packages) {
    const name = infoName(pkg.control.control);
    const mtime = newestMtime(pkg);
    const file = (path: string, text: string): Omit<TreeNode, 'owner'> & { owner: string } => {
      const bytes = Buffer.from(text);
      return { path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime, size: bytes.length, content: { kind: 'bytes', bytes }, owner: pkg.locked.name };
    };
    tree.put(file(`${STATUS_D}/${name}`, statusStanza(pkg.control.control)));
    if (pkg.control.md5sums) tree.put(file(`${STATUS_D}/${name}.md5sums`, pkg.control.md5sums));
  }
}

async function writeAccounts(tree: ImageTree, content: ContentSource, spec: VariantSpec, mtime: number): Promise<Accounts> {
  const shipped = ['/etc/passwd', '/etc/group'].map((p) => tree.get(p)).filter((n): n is TreeNode => n?.type === 'file');
  await content.load(shipped);
  const text = (p: string) => {
    const node = tree.get(p);
    return node?.type === 'file' ? content.bytes(node).toString('utf8') : undefined;
  };
  const passwd = text('/etc/passwd');
  const group = text('/etc/group');
  const merged = mergeAccounts(
    { users: passwd !== undefined ? parsePasswd(passwd) : [...MINIMAL_USERS], groups: group !== undefined ? parseGroup(group) : [...MINIMAL_GROUPS] },
    spec.accounts,
  );
  for (const [path, body] of [['/etc/passwd', formatPasswd(merged.users)], ['/etc/group', formatGroup(merged.groups)]] as const) {
    const bytes = Buffer.from(body);
    if (tree.get(path)) tree.remove(path);
    tree.put({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime, size: bytes.length, content: { kind: 'bytes', bytes } });
  }
  addHomes(tree, spec.accounts.users, mtime);
  return merged;
}

/**
 * `/etc/ssl/certs/ca-certificates.crt` as update-ca-certificates writes it:
 * every certificate under /usr/share/ca-certificates, by path, concatenated
 * (a runtime image cannot run that maintainer script). Derived, so its bytes
 * are read only when its layer is written; it belongs to the layer of the
 * package that ships the certificates.
 */
function writeCaBundle(tree: ImageTree, content: ContentSource): void {
  const certificates = caCertificates(tree);
  if (certificates.length === 0) return;
  const owners = new Set(certificates.map((n) => n.owner));
  const owner = owners.size === 1 ? ([...owners][0] as string) : IMAGE_OWNER;
  const mtime = owner === IMAGE_OWNER ? GENERATED_MTIME : Math.max(...certificates.map((n) => n.mtime));
  const id = `ca-bundle:${certificates.map((n) => content.identity(n)).join(',')}`;
  content.derive(id, async () => {
    await content.load(certificates);
    return Buffer.concat(certificates.flatMap((n) => {
      const pem = content.bytes(n);
      return pem.length && pem[pem.length - 1] !== 0x0a ? [pem, Buffer.from('\n')] : [pem];
    }));
  });
  const existing = tree.get(CA_BUNDLE_PATH);
  if (existing && existing.type !== 'directory') tree.remove(CA_BUNDLE_PATH);
  tree.put({ path: CA_BUNDLE_PATH, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime, size: 0, content: { kind: 'derived', id }, owner });
}

/** The certificates update-ca-certificates would bundle: every file under /usr/share/ca-certificates, by path. */
const caCertificates = (tree: ImageTree): TreeNode[] =>
  tree.list().filter((n) => n.type === 'file' && n.path.startsWith('/usr/share/ca-certificates/') && n.path.endsWith('.crt'));

/** Where Debian's JREs look for their truststore (`<java home>/lib/security/cacerts` links here). */
export const JAVA_TRUSTSTORE_PATH = '/etc/ssl/certs/java/cacerts';

/**
 * Java's truststore of the same certificates, as ca-certificates-java's
 * postinst writes it with keytool (javaKeyStore.ts): written only when a JRE
 * in the tree links its cacerts to it. Derived like the CA bundle, in the
 * same layer.
 */
function writeJavaTrustStore(tree: ImageTree, content: ContentSource): void {
  const wanted = tree.list().some((n) => n.type === 'symlink' && n.linkname === JAVA_TRUSTSTORE_PATH);
  const bundle = tree.get(CA_BUNDLE_PATH);
  if (!wanted || bundle?.content?.kind !== 'derived') return;
  const certificates = caCertificates(tree);
  const id = `java-truststore:${bundle.content.id}`;
  content.derive(id, async () => {
    await content.load(certificates);
    // Aliases as ca-certificates-java names them: `debian:<file name>`, one per certificate in the file.
    const entries = certificates.flatMap((n) => {
      const name = n.path.slice(n.path.lastIndexOf('/') + 1);
      return pemCertificates(content.bytes(n).toString('utf8')).map((pem, i) => ({ alias: i === 0 ? `debian:${name}` : `debian:${name}:${i}`, pem }));
    });
    return javaKeyStore(entries, bundle.mtime * 1000);
  });
  const existing = tree.get(JAVA_TRUSTSTORE_PATH);
  if (existing && existing.type !== 'directory') tree.remove(JAVA_TRUSTSTORE_PATH);
  tree.put({ path: JAVA_TRUSTSTORE_PATH, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: bundle.mtime, size: 0, content: { kind: 'derived', id }, owner: bundle.owner });
}

/** Interpreters with both the binary and the standard library in the tree. */
function pythonInterpreters(tree: ImageTree): string[] {
  return tree.children('/usr/bin')
    .map((n) => n.path.slice('/usr/bin/'.length))
    .filter((name) => /^python3\.\d+$/.test(name) && tree.get(`/usr/lib/${name}`)?.type === 'directory')
    .sort();
}
