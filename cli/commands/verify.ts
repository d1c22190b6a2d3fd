/**
 * `tempered verify IMAGE_REF`: the signature and every attestation checked
 * in-process with the public key; exits 1 naming what failed.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import type { RegistryClient } from '../../lib/oci/registry';
import type { Config } from '../../domain/config';
import { CliError, ExitCode, printJson } from '../output';
import { config } from '../runtime';

/** One repository path component, as the distribution spec defines it: lowercase, no `@` or `:`. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
/**
 * `host[:port]/path/name:tag` or `...@sha256:<64 hex>` (the host is required: images live in a registry).
 * The repository is matched strictly: a lax one swallowed `@sha256` and read `host/repo@sha256:abc` as tag `abc`.
 */
/** `host[:port]/path/name`, the part of a reference before its tag or digest. */
export const REPOSITORY_AT_HOST = `([A-Za-z0-9.-]+(?::[0-9]+)?)/(${COMPONENT}(?:/${COMPONENT})*)`;
const IMAGE_REFERENCE = new RegExp(`^${REPOSITORY_AT_HOST}(?:@(sha256:[0-9a-f]{64})|:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))$`);

export function parseImageReference(text: string): { host: string; repository: string; reference: string } {
  const match = IMAGE_REFERENCE.exec(text);
  if (!match) throw new CliError(`"${text}" is not an image reference: use HOST/REPOSITORY:TAG or HOST/REPOSITORY@sha256:<64 hex digits>`, ExitCode.usage);
  return { host: match[1] as string, repository: match[2] as string, reference: (match[3] ?? match[4]) as string };
}

/** The configured registry gets its credentials and scheme; any other loopback one is plain http, the rest https. */
export function registryFor(cfg: Config, host: string): RegistryClient {
  const { RegistryClient } = require('../../lib/oci/registry') as typeof import('../../lib/oci/registry');
  const configured = host === cfg.registry.host;
  return new RegistryClient({
    host,
    scheme: configured ? cfg.registry.scheme : /^(127\.|localhost[:]|\[::1\])/.test(host) ? 'http' : 'https',
    credentials: configured ? cfg.registry.credentials : undefined,
  });
}

/** The public key PEM of `--key`, or the one `tempered keys init` wrote; a missing file is bad input. */
export function publicKeyPem(file?: string): Buffer {
  const keyFile = file ?? config().publicKeyPath;
  if (!fs.existsSync(keyFile)) throw new CliError(`public key ${keyFile} not found`, ExitCode.usage);
  return fs.readFileSync(keyFile);
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('verify the signature and attestations of a published image with the public key')
    .argument('<image>', 'HOST/REPOSITORY:TAG or HOST/REPOSITORY@sha256:DIGEST')
    .option('--key <file>', 'public key PEM (default: the one tempered keys init wrote)')
    .option('--signed-repository <repository>', 'the repository the signatures name, for a copy mirrored under another name (tempered/NAME)')
    .option('--json', 'print JSON for scripts')
    .action(async (image: string, opts: { key?: string; signedRepository?: string; json?: boolean }) => {
      // The argument first: a malformed reference is refused before the key is read or the registry asked.
      const { host, repository, reference } = parseImageReference(image);
      const cfg = config();
      const key = publicKeyPem(opts.key);
      const registry = registryFor(cfg, host);
      const { VerificationError } = require('../../lib/signing/errors') as typeof import('../../lib/signing/errors');
      const { formatVerification, verifyImage } = require('../../lib/signing/verify') as typeof import('../../lib/signing/verify');
      try {
        const report = await verifyImage({ registry, repository, reference, publicKeyPem: key, ...(opts.signedRepository ? { signedRepository: opts.signedRepository } : {}) });
        if (opts.json) printJson({ verified: true, ...report });
        else console.log(formatVerification(report));
      } catch (err) {
        if (!(err instanceof VerificationError)) throw err;
        if (opts.json) printJson({ verified: false, code: err.code, message: err.message });
        throw new CliError(`verification failed (${err.code}): ${err.message}`, 1);
      }
    });
}
