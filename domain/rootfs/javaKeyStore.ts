/**
 * A Java truststore in the JKS format, written from the image's CA
 * certificates: what ca-certificates-java's postinst writes to
 * /etc/ssl/certs/java/cacerts by running keytool, which a runtime image
 * never runs. Every JDK since 9 reads JKS through its default PKCS12
 * keystore (`keystore.type.compat`), and keytool checks it.
 *
 * Written by hand: JKS is a few fixed fields per entry (sun.security.
 * provider.JavaKeyStore), and no maintained npm library writes a
 * trusted-certificate store Java accepts (node-forge's PKCS#12 lacks the
 * trusted-usage attribute Java requires of certificate-only entries).
 */
import { createHash, X509Certificate } from 'node:crypto';

const MAGIC = 0xfeedfeed;
const VERSION = 2;
const TRUSTED_CERT_ENTRY = 2;

export interface TrustedCertificate {
  /** keytool's alias: ca-certificates-java uses `debian:<file name>`. */
  alias: string;
  /** PEM text of one certificate. */
  pem: string;
}

/** Java's modified UTF-8 with its 2-byte length (DataOutputStream.writeUTF); aliases are ASCII here. */
function utf(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 0xffff) throw new Error(`JKS string too long: ${text.slice(0, 40)}…`);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

const int = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const long = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
};

/**
 * The store's bytes, entries sorted by alias, each dated `createdMs` (the
 * image's SOURCE_DATE_EPOCH: the same certificates give the same bytes).
 * The integrity digest is keyed by `password`, `changeit` as Debian's.
 */
export function javaKeyStore(certificates: readonly TrustedCertificate[], createdMs: number, password = 'changeit'): Buffer {
  const sorted = [...certificates].sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0));
  const aliases = new Set<string>();
  const parts: Buffer[] = [int(MAGIC), int(VERSION), int(sorted.length)];
  for (const { alias, pem } of sorted) {
    // Lower case, as keytool stores them: aliases are case-insensitive in JKS.
    const key = alias.toLowerCase();
    if (aliases.has(key)) throw new Error(`two certificates under the alias ${key}`);
    aliases.add(key);
    const der = new X509Certificate(pem).raw;
    parts.push(int(TRUSTED_CERT_ENTRY), utf(key), long(createdMs), utf('X.509'), int(der.length), der);
  }
  const body = Buffer.concat(parts);
  const digest = createHash('sha1')
    .update(Buffer.from(password, 'utf16le').swap16())
    .update('Mighty Aphrodite', 'utf8')
    .update(body)
    .digest();
  return Buffer.concat([body, digest]);
}

/** Every certificate of a PEM bundle file (one per file under /usr/share/ca-certificates). */
export function pemCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}
