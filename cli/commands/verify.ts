/**
 * `tempered verify IMAGE_REF`: the signature and every attestation checked
 * in-process with the public key; exits 1 naming what failed.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { RegistryClient } from '../../lib/oci/registry';
import { VerificationError } from '../../lib/signing/errors';
import { formatVerification, verifyImage } from '../../lib/signing/verify';
import { CliError, ExitCode, printJson } from '../output';
import { config } from '../runtime';

/** One repository path component, as the distribution spec defines it: lowercase, no `@` or `:`. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
/**
 * `host[:port]/path/name:tag` or `...@sha256:<64 hex>` (the host is required: images live in a registry).
 * The repository is matched strictly: a lax one swallowed `@sha256` and read `host/repo@sha256:abc` as tag `abc`.
 */
const IMAGE_REFERENCE = new RegExp(`^([A-Za-z0-9.-]+(?::[0-9]+)?)/(${COMPONENT}(?:/${COMPONENT})*)(?:@(sha256:[0-9a-f]{64})|:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))$`);

export function parseImageReference(text: string): { host: string; repository: string; reference: string } {
  const match = IMAGE_REFERENCE.exec(text);
  if (!match) throw new CliError(`"${text}" is not an image reference: use HOST/REPOSITORY:TAG or HOST/REPOSITORY@sha256:<64 hex digits>`, ExitCode.usage);
  return { host: match[1] as string, repository: match[2] as string, reference: (match[3] ?? match[4]) as string };
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('verify the signature and attestations of a published image with the public key')
    .argument('<image>', 'HOST/REPOSITORY:TAG or HOST/REPOSITORY@sha256:DIGEST')
    .option('--key <file>', 'public key PEM (default: the one tempered keys init wrote)')
    .option('--json', 'print JSON for scripts')
    .action(async (image: string, opts: { key?: string; json?: boolean }) => {
      // The argument first: a malformed reference is refused before the key is read or the registry asked.
      const { host, repository, reference } = parseImageReference(image);
      const cfg = config();
      const keyFile = opts.key ?? cfg.publicKeyPath;
      if (!fs.existsSync(keyFile)) throw new CliError(`public key ${keyFile} not found`, ExitCode.usage);
      const registry = new RegistryClient({
        host,
        scheme: host === cfg.registry.host ? cfg.registry.scheme : /^(127\.|localhost)/.test(host) ? 'http' : 'https',
        credentials: host === cfg.registry.host ? cfg.registry.credentials : undefined,
      });
      try {
        const report = await verifyImage({ registry, repository, reference, publicKeyPem: fs.readFileSync(keyFile) });
        if (opts.json) printJson({ verified: true, ...report });
        else console.log(formatVerification(report));
      } catch (err) {
        if (!(err instanceof VerificationError)) throw err;
        if (opts.json) printJson({ verified: false, code: err.code, message: err.message });
        throw new CliError(`verification failed (${err.code}): ${err.message}`, 1);
      }
    });
}
