/**
 * `tempered verify IMAGE_REF`: the signature and every attestation checked
 * in-process with the public key; exits 1 naming what failed.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { RegistryClient } from '../../../activities/oci/registry';
import { VerificationError } from '../../../activities/sign/errors';
import { formatVerification, verifyImage } from '../../../activities/sign/verify';
import { CliError, printJson } from '../output';
import { config } from '../runtime';

/** Splits `host:port/repo/name:tag` or `...@sha256:...` (the host is required: images live in a registry). */
export function parseImageReference(text: string): { host: string; repository: string; reference: string } {
  const match = /^([^/]+)\/(.+?)(?:@(sha256:[0-9a-f]{64})|:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))$/.exec(text);
  if (!match) throw new CliError(`"${text}" is not an image reference: use HOST/REPOSITORY:TAG or HOST/REPOSITORY@sha256:...`, 2);
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
      const cfg = config();
      const { host, repository, reference } = parseImageReference(image);
      const keyFile = opts.key ?? cfg.publicKeyPath;
      if (!fs.existsSync(keyFile)) throw new CliError(`public key ${keyFile} not found`, 2);
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
