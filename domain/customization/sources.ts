/**
 * What a customization takes from its own directory (`<customizations>/<name>/`):
 * source files and certificates. A source is read only if it is, symlinks
 * followed, a regular file inside that directory: a customization must never
 * copy a host file (an SSH key, /etc/shadow) or another team's customization
 * file into an image.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TemperedError } from '../errors';

/** Sources are configuration, not payloads: a bigger file is almost certainly a mistake. */
export const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

export class SourceProblem extends TemperedError<'SOURCE_REFUSED'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SOURCE_REFUSED', message, options);
  }
}

/**
 * Opens `source` inside `ownDir`, the customization's own directory
 * (`<customizations>/<name>/`), and checks the file that was opened, not a
 * name: the kernel resolved every symlink on the way, `/proc/self/fd` says
 * where that led, and the bytes are then read through the same descriptor,
 * so nothing can be swapped in between. `<name>/file`, the form sources had
 * when they were relative to the shared directory, is read as `file`.
 */
function openSource(ownDir: string, source: string): number {
  if (path.isAbsolute(source)) throw new SourceProblem('must be relative to the customization directory (absolute host paths are refused)');
  const legacyPrefix = `${path.basename(ownDir)}/`;
  const relative = source.startsWith(legacyPrefix) ? source.slice(legacyPrefix.length) : source;
  let root: string;
  try {
    root = fs.realpathSync(ownDir);
  } catch {
    throw new SourceProblem(`has no directory to come from: the customization's own directory ${ownDir} does not exist`);
  }
  const candidate = path.resolve(root, relative);
  if (!within(root, candidate)) throw new SourceProblem(`must stay inside the customization's own directory ${root}`);
  let fd: number;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = fs.openSync(candidate, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    throw new SourceProblem(`${candidate} does not exist or cannot be read`);
  }
  try {
    const real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    if (!within(root, real)) throw new SourceProblem(`resolves through a symlink to ${real}, outside the customization's own directory ${root}`);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new SourceProblem(`${real} is not a regular file`);
    if (stat.size > MAX_SOURCE_BYTES) throw new SourceProblem(`${real} is ${stat.size} bytes; sources are limited to ${MAX_SOURCE_BYTES}`);
    return fd;
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** Checks that `source` may be used (SourceProblem otherwise), without keeping it open. */
export function checkSource(ownDir: string, source: string): void {
  fs.closeSync(openSource(ownDir, source));
}

export function readSource(ownDir: string, source: string): Buffer {
  const fd = openSource(ownDir, source);
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const within = (root: string, p: string) => p === root || p.startsWith(root + path.sep);

/**
 * The certificates of a PEM text, each re-encoded by node's X.509 parser (so
 * nothing but certificates reaches the bundle) and each a CA: a leaf
 * certificate in a trust bundle trusts nothing and hides a mistake.
 */
export function caCertificates(text: string): string[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new SourceProblem('holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  return blocks.map((block, i) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (err) {
      throw new SourceProblem(`certificate ${i + 1} is not valid X.509 (${(err as Error).message})`);
    }
    if (!cert.ca) throw new SourceProblem(`certificate ${i + 1} (${cert.subject.replace(/\n/g, ', ')}) is not a CA certificate (basicConstraints CA:FALSE)`);
    return cert.toString().trimEnd() + '\n';
  });
}
