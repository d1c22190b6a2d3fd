/**
 * Builds /etc/ssl/certs/ca-certificates.crt the way update-ca-certificates
 * does (every certificate under /usr/share/ca-certificates, sorted by path,
 * concatenated), since a runtime image cannot run that maintainer script.
 * Extra PEM certificates (customizations) are appended after validation.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CA_BUNDLE_PATH } from '../../../domain/catalog/policy';

function listCrt(dir: string, rel = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? listCrt(path.join(dir, e.name), path.join(rel, e.name)) : e.name.endsWith('.crt') ? [path.join(rel, e.name)] : []));
}

/** Splits a PEM bundle into certificates, refusing anything that does not parse. */
export function splitPem(text: string, where: string): string[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${where}: no PEM certificate found`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new Error(`${where}: not a valid X.509 certificate (${(err as Error).message})`);
    }
  }
  return blocks.map((b) => b + '\n');
}

export function writeCaBundle(rootfs: string, extraPems: readonly string[] = []): number {
  const shareDir = path.join(rootfs, 'usr/share/ca-certificates');
  const system = listCrt(shareDir).map((rel) => {
    const text = fs.readFileSync(path.join(shareDir, rel), 'utf8');
    return text.endsWith('\n') ? text : text + '\n';
  });
  if (system.length === 0 && extraPems.length === 0) return 0;
  const target = path.join(rootfs, CA_BUNDLE_PATH);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, [...system, ...extraPems].join(''), { mode: 0o644 });
  return system.length + extraPems.length;
}
