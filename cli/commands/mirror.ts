/**
 * `tempered mirror SRC_REF DEST_REPO`: copies an image or index with every
 * signature, attestation and referrer (lib/mirror/copy.ts) to another
 * registry, then verifies the copy there with the same checks as `tempered
 * verify` (the image and each platform manifest). `--all-tags` copies every
 * tag of the repository. The destination's credentials come from
 * TEMPERED_MIRROR_USERNAME and TEMPERED_MIRROR_PASSWORD_FILE, never from the
 * command line (it would end up in shell histories and `ps`).
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import type { RegistryClient } from '../../lib/oci/registry';
import { CliError, ExitCode, endProgress, printJson, printTable, progressLine, shortDigest } from '../output';
import { publishedImage } from '../publishedImage';
import { config } from '../runtime';

/** `host[:port]/repository/path`, no tag. */
const DEST = /^([A-Za-z0-9.-]+(?::[0-9]+)?)\/([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)$/;
/** cosign's and the referrers fallback's tags: copied with their image, never as images of their own. */
const SIGNATURE_TAG = /^sha256-[0-9a-f]{64}(\.sig|\.att)?$/;

interface Mirrored {
  tag: string;
  digest: string;
  manifests: number;
  blobsCopied: number;
  signatureTags: number;
  verified: string[];
}

export function registerMirror(program: Command): void {
  program
    .command('mirror')
    .description('copy an image with its signatures, attestations and referrers to another registry, then verify the copy there')
    .argument('<source>', 'NAME[:TAG], custom:NAME, or HOST/REPOSITORY:TAG|@sha256:DIGEST')
    .argument('<destination>', 'HOST/REPOSITORY to copy into')
    .option('--all-tags', 'copy every tag of the source repository')
    .option('--key <file>', 'public key PEM to verify the copy with (default: the one tempered keys init wrote)')
    .option('--json', 'print JSON for scripts')
    .action(async (sourceText: string, destText: string, opts: { allTags?: boolean; key?: string; json?: boolean }) => {
      const match = DEST.exec(destText);
      if (!match) throw new CliError(`destination "${destText}" is not HOST/REPOSITORY (no tag: the source's tags are kept)`, ExitCode.usage);
      const source = publishedImage(sourceText);
      const keyFile = opts.key ?? config().publicKeyPath;
      if (!fs.existsSync(keyFile)) throw new CliError(`public key ${keyFile} not found`, ExitCode.usage);
      const dest = { registry: destinationRegistry(match[1] as string), repository: match[2] as string };
      const tags = opts.allTags ? (await source.registry.listTags(source.repository)).filter((t) => !SIGNATURE_TAG.test(t)).sort() : [source.reference];
      if (tags.length === 0) throw new CliError(`${source.host}/${source.repository} has no tags`, ExitCode.failed);
      const { mirrorImage } = require('../../lib/mirror/copy') as typeof import('../../lib/mirror/copy');
      const { verifyImage } = require('../../lib/signing/verify') as typeof import('../../lib/signing/verify');
      const { VerificationError } = require('../../lib/signing/errors') as typeof import('../../lib/signing/errors');
      const key = fs.readFileSync(keyFile);
      const done: Mirrored[] = [];
      for (const tag of tags) {
        const copied = await mirrorImage({ registry: source.registry, repository: source.repository }, dest, tag, (step) => progressLine(`${tag}: ${step}`));
        const verified: string[] = [];
        for (const digest of [copied.digest, ...copied.platforms]) {
          progressLine(`${tag}: verifying ${shortDigest(digest)} at ${destText}`);
          try {
            await verifyImage({ registry: dest.registry, repository: dest.repository, reference: digest, publicKeyPem: key, signedRepository: source.repository });
          } catch (err) {
            endProgress();
            if (err instanceof VerificationError) throw new CliError(`the copy of ${tag} (${digest}) at ${destText} does not verify (${err.code}): ${err.message}`, ExitCode.failed);
            throw err;
          }
          verified.push(digest);
        }
        done.push({ tag, digest: copied.digest, manifests: copied.manifests, blobsCopied: copied.blobsCopied, signatureTags: copied.signatureTags.length, verified });
      }
      endProgress();
      if (opts.json) return printJson({ source: `${source.host}/${source.repository}`, destination: destText, images: done });
      printTable(['TAG', 'DIGEST', 'MANIFESTS', 'BLOBS COPIED', 'SIGNATURE TAGS', 'VERIFIED'], done.map((d) => [d.tag, shortDigest(d.digest), d.manifests, d.blobsCopied, d.signatureTags, `${d.verified.length} manifest(s)`]));
    });
}

function destinationRegistry(host: string): RegistryClient {
  const { RegistryClient: Client } = require('../../lib/oci/registry') as typeof import('../../lib/oci/registry');
  const username = process.env.TEMPERED_MIRROR_USERNAME;
  const passwordFile = process.env.TEMPERED_MIRROR_PASSWORD_FILE;
  if (username && !passwordFile) throw new CliError('TEMPERED_MIRROR_USERNAME is set but TEMPERED_MIRROR_PASSWORD_FILE is not', ExitCode.usage);
  const credentials = username && passwordFile ? { username, password: fs.readFileSync(passwordFile, 'utf8').trim() } : undefined;
  return new Client({ host, scheme: /^(127\.|localhost[:]|\[::1\])/.test(host) ? 'http' : 'https', ...(credentials ? { credentials } : {}) });
}
