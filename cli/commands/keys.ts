/**
 * `tempered keys init|show`: the ECDSA P-256 signing key. The private key
 * stays in a 0600 file that only the sign activity reads; the public key is
 * the PEM `cosign verify --key` takes.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { initKeys, publicKeyFingerprint } from '../../lib/signing/keys';
import { CliError, printJson, printTable } from '../output';
import { config } from '../runtime';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage the signing key');
  keys
    .command('init')
    .description('create the signing key pair (refuses to replace an existing key unless --force)')
    .option('--force', 'replace an existing key: images signed with it will no longer verify with the new public key')
    .option('--json', 'print JSON for scripts')
    .action((opts: { force?: boolean; json?: boolean }) => {
      const files = initKeys(config().signingKeyPath, { force: opts.force });
      if (opts.json) return printJson(files);
      printTable(['PRIVATE KEY (0600)', 'PUBLIC KEY', 'FINGERPRINT'], [[files.privateKeyPath, files.publicKeyPath, files.fingerprint]]);
    });
  keys
    .command('show')
    .description('print the public key and its fingerprint')
    .option('--json', 'print JSON for scripts')
    .action((opts: { json?: boolean }) => {
      const { publicKeyPath } = config();
      if (!fs.existsSync(publicKeyPath)) throw new CliError(`no public key at ${publicKeyPath}: run tempered keys init`);
      const pem = fs.readFileSync(publicKeyPath, 'utf8');
      if (opts.json) return printJson({ publicKeyPath, fingerprint: publicKeyFingerprint(pem), pem });
      console.log(`# ${publicKeyPath} (${publicKeyFingerprint(pem)})`);
      process.stdout.write(pem);
    });
}
