/**
 * What a customization takes from its own directory: source files and
 * certificates. A source is read only if it resolves, symlinks followed, to a
 * regular file inside the customization's directory: a customization must
 * never be able to copy a host file (an SSH key, /etc/shadow) into an image.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Sources are configuration, not payloads: a bigger file is almost certainly a mistake. */
export const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

export class SourceProblem extends Error {
  override readonly name = 'SourceProblem';
}

/** The real path of `source` under `dir`, or a SourceProblem saying why it may not be used. */
export function resolveSource(dir: string, source: string): string {
  if (path.isAbsolute(source)) throw new SourceProblem('must be relative to the customization directory (absolute host paths are refused)');
  const root = fs.realpathSync(dir);
  const candidate = path.resolve(root, source);
  if (!within(root, candidate)) throw new SourceProblem('must stay inside the customization directory');
  let real: string;
  try {
    real = fs.realpathSync(candidate);
  } catch {
    throw new SourceProblem(`${candidate} does not exist`);
  }
  if (!within(root, real)) throw new SourceProblem(`resolves through a symlink to ${real}, outside the customization directory ${root}`);
  const stat = fs.statSync(real);
  if (!stat.isFile()) throw new SourceProblem(`${real} is not a regular file`);
  if (stat.size > MAX_SOURCE_BYTES) throw new SourceProblem(`${real} is ${stat.size} bytes; sources are limited to ${MAX_SOURCE_BYTES}`);
  return real;
}

export function readSource(dir: string, source: string): Buffer {
  return fs.readFileSync(resolveSource(dir, source));
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
