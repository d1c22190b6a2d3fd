/**
 * `tempered mirror SRC_REF DEST_REPO`: copies an image or index with every
 * signature, attestation and referrer (lib/mirror/copy.ts) to another
 * registry, then verifies the copy there with the same checks as `tempered
 * verify` (the image and each platform manifest). `--all-tags` copies every
 * tag of the repository. The destination's credentials come from
 * TEMPERED_MIRROR_USERNAME and TEMPERED_MIRROR_PASSWORD_FILE, never from the
 * command line (it would end up in shell histories and `ps`).
 */
import type { Command } from 'commander';
import type { MirroredImage } from '../../lib/mirror/mirrorVerified';
import { CliError, ExitCode, endProgress, printJson, printTable, progressLine, shortDigest } from '../output';
import { publishedImage } from '../publishedImage';
import { publicKeyPem, REPOSITORY_AT_HOST } from './verify';
import { minutesOption } from '../arguments';
import { withClient } from '../runtime';

/** `host[:port]/repository/path`, no tag. */
const DEST = new RegExp(`^${REPOSITORY_AT_HOST}$`);

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
      const key = publicKeyPem(opts.key);
      const { mirrorDestination, MirrorConfigError } = require('../../lib/mirror/destination') as typeof import('../../lib/mirror/destination');
      let registry;
      try {
        registry = mirrorDestination(match[1] as string);
      } catch (err) {
        if (err instanceof MirrorConfigError) throw new CliError(err.message, ExitCode.usage);
        throw err;
      }
      const dest = { registry, repository: match[2] as string };
      const { imageTags, mirrorVerified, MirrorVerificationError } = require('../../lib/mirror/mirrorVerified') as typeof import('../../lib/mirror/mirrorVerified');
      const from = { registry: source.registry, repository: source.repository };
      const tags = opts.allTags ? await imageTags(from) : [source.reference];
      if (tags.length === 0) throw new CliError(`${source.host}/${source.repository} has no tags`, ExitCode.failed);
      const done: MirroredImage[] = [];
      for (const tag of tags) {
        try {
          done.push(await mirrorVerified(from, dest, tag, key, (step) => progressLine(`${tag}: ${step}`)));
        } catch (err) {
          endProgress();
          if (err instanceof MirrorVerificationError) throw new CliError(`${err.message} (${destText})`, ExitCode.failed);
          throw err;
        }
      }
      endProgress();
      if (opts.json) return printJson({ source: `${source.host}/${source.repository}`, destination: destText, images: done });
      printTable(['TAG', 'DIGEST', 'MANIFESTS', 'BLOBS COPIED', 'SIGNATURE TAGS', 'VERIFIED'], done.map((d) => [d.tag, shortDigest(d.digest), d.manifests, d.blobsCopied, d.signatureTags, `${d.verified.length} manifest(s)`]));
    });
}

/** `tempered mirror-schedule HOST[/PATH] --every 1h`: the continuous mirror of the whole catalog, as a Temporal Schedule. */
export function registerMirrorSchedule(program: Command): void {
  program
    .command('mirror-schedule')
    .description('mirror every catalog image to another registry on a Temporal Schedule (the workers hold its credentials)')
    .argument('<destination>', 'HOST[:PORT][/PATH]: each repository is copied to DESTINATION/<image name>')
    .option('--every <minutes>', 'interval in minutes', '60')
    .option('--remove', 'delete the Schedule instead')
    .action(async (destination: string, opts: { every: string; remove?: boolean }) => {
      if (!/^[A-Za-z0-9.-]+(?::[0-9]+)?(\/[a-z0-9._/-]+)?$/.test(destination)) throw new CliError(`destination "${destination}" is not HOST[:PORT][/PATH]`, ExitCode.usage);
      const minutes = minutesOption(opts.every, '--every');
      const { ensureMirrorSchedule, MIRROR_SCHEDULE_ID } = require('../../client/mirrorSchedule') as typeof import('../../client/mirrorSchedule');
      await withClient(async (client, cfg) => {
        if (opts.remove) {
          await client.schedule.getHandle(MIRROR_SCHEDULE_ID).delete();
          return console.log(`deleted the Schedule ${MIRROR_SCHEDULE_ID}`);
        }
        const outcome = await ensureMirrorSchedule(client, cfg, destination, minutes * 60_000);
        console.log(`${outcome} the Schedule ${MIRROR_SCHEDULE_ID}: every catalog image to ${destination} every ${minutes} min (temporal schedule trigger --schedule-id ${MIRROR_SCHEDULE_ID} runs it now)`);
      });
    });
}
