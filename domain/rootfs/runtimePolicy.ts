/**
 * The runtime policy, judged on the image's content whatever package (or
 * customization file) brought it: no shell and no package manager, by name or
 * by what the ELF file is; no setuid or setgid file the definition did not
 * allow; nothing world-writable outside /tmp. A deny-list of package names
 * is not enough: `packages: [busybox]` is a shell, and its applet links
 * (`/bin/sh -> busybox`) carry no package name at all.
 */
import { TreeError } from './errors';
import { IMAGE_OWNER, type ImageTree, type TreeNode } from './tree';

/** Program names that are a shell or a package manager wherever they sit in the tree. */
export const FORBIDDEN_PROGRAM_NAMES: ReadonlySet<string> = new Set([
  'sh', 'bash', 'rbash', 'dash', 'ash', 'ksh', 'ksh93', 'mksh', 'pdksh', 'zsh', 'csh', 'tcsh', 'fish', 'yash', 'posh',
  'busybox', 'toybox',
  'apt', 'apt-get', 'apt-cache', 'aptitude', 'dpkg', 'dpkg-deb', 'dpkg-query', 'rpm', 'yum', 'dnf', 'apk', 'pip', 'pip3', 'perl',
]);

/**
 * Byte strings only these programs carry (read off Debian's binaries): a
 * renamed shell is still caught. ELF files only, where a program can be.
 */
export const FORBIDDEN_PROGRAM_MARKERS: readonly { marker: string; what: string }[] = [
  { marker: 'BusyBox v', what: 'BusyBox (a shell and its applets)' },
  { marker: 'Toybox ', what: 'Toybox (a shell and its applets)' },
  { marker: 'GNU bash, version', what: 'bash' },
  { marker: 'Usage: getopts optstring var', what: 'a POSIX shell (dash)' },
  { marker: '@(#)MIRBSD KSH', what: 'mksh' },
  { marker: "Debian '%s' package management program", what: 'dpkg' },
  { marker: 'libapt-pkg.so', what: 'an apt program (links libapt-pkg)' },
  { marker: 'This is perl 5, version', what: 'perl' },
  { marker: 'librpm.so', what: 'an rpm program' },
];

/** Bump when the policy changes: a layer written under an older one is scanned (written) again. */
export const RUNTIME_POLICY_VERSION = 1;

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const SETID = 0o6000;
const by = (node: TreeNode) => (node.owner === IMAGE_OWNER ? IMAGE_OWNER : `package ${node.owner}`);
const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

const refuse = (node: TreeNode, problem: string) =>
  new TreeError('RUNTIME_POLICY', `${by(node)} puts ${node.path} in a runtime image: ${problem}`, node.owner, node.path);

/** What names and modes say, for every node: cheap, so the whole tree is checked on every build. */
export function checkRuntimeNames(tree: ImageTree, allowSetid: ReadonlySet<string>): void {
  for (const node of tree.list()) checkRuntimeNode(node, allowSetid);
}

export function checkRuntimeNode(node: TreeNode, allowSetid: ReadonlySet<string>): void {
  const name = node.path.slice(node.path.lastIndexOf('/') + 1);
  const executable = node.type === 'symlink' || node.type === 'hardlink' || (node.type === 'file' && (node.mode & 0o111) !== 0);
  if (executable && FORBIDDEN_PROGRAM_NAMES.has(name)) throw refuse(node, `${name} is a shell or a package manager by name`);
  // On a directory setgid only passes its group on (Debian's /var/local is 2775): files are what it is about.
  if ((node.type === 'file' || node.type === 'hardlink') && node.mode & SETID && !allowSetid.has(node.path)) throw refuse(node, `a setuid or setgid file the definition does not allow (allowSetid)`);
  if (node.type !== 'symlink' && node.mode & 0o002 && !under(node.path, '/tmp')) {
    // A sticky world-writable directory (/var/tmp, 1777) is the safe shared-temp form; anything else is not.
    if (!(node.type === 'directory' && node.mode & 0o1000)) throw refuse(node, `world-writable (mode ${node.mode.toString(8)}) outside /tmp`);
  }
}

/** What an ELF file's bytes say: a shell or a package manager by content, whatever its name. */
export function checkRuntimeContent(node: TreeNode, bytes: Buffer): void {
  if (node.type !== 'file' || bytes.length < 4 || !bytes.subarray(0, 4).equals(ELF)) return;
  for (const { marker, what } of FORBIDDEN_PROGRAM_MARKERS) {
    if (bytes.includes(marker)) throw refuse(node, `an ELF file that is ${what} by content`);
  }
}
