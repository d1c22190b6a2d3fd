/** The certificates of a PEM bundle, each parsed by Node's X.509 parser; anything that does not parse is refused. */
import { X509Certificate } from 'node:crypto';

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
