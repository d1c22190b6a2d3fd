/**
 * `tempered changelog IMAGE[@DIGEST]`: what a publish changed and why, from
 * its signed changelog attestation (verified with the public key first).
 * `tempered diff REF_A REF_B`: the package changes between any two digests,
 * from their signed SBOMs, also for images published before changelogs.
 */
import type { Command } from 'commander';
import type { ChangelogPredicate } from '../../domain/changelog/changelog';
import type { PackageChanges } from '../../domain/changelog/packageDiff';
import { CliError, ExitCode, printJson, printTable, shortDigest } from '../output';
import { publishedImage, resolvePublished, type PublishedImageRef } from '../publishedImage';
import { publicKeyPem } from './verify';

const IMAGE = 'NAME[:TAG][@sha256:DIGEST], custom:NAME, or HOST/REPOSITORY:TAG|@sha256:DIGEST';

export function registerChangelog(program: Command): void {
  program
    .command('changelog')
    .description("what a publish changed and why: packages, advisories fixed and waiting, base (the image's signed changelog)")
    .argument('<image>', IMAGE)
    .option('--key <file>', 'public key PEM (default: the one tempered keys init wrote)')
    .option('--json', 'print the changelog predicate')
    .action(async (text: string, opts: { key?: string; json?: boolean }) => {
      const ref = publishedImage(text);
      const digest = await resolvePublished(ref);
      const { PredicateType } = require('../../domain/attest/predicateTypes') as typeof import('../../domain/attest/predicateTypes');
      const { verifiedImage } = require('../../lib/signing/verify') as typeof import('../../lib/signing/verify');
      const { predicates } = await verifying(() => verifiedImage({ registry: ref.registry, repository: ref.repository, reference: digest, publicKeyPem: publicKeyPem(opts.key), require: [] }));
      const changelog = predicates.get(PredicateType.changelog) as ChangelogPredicate | undefined;
      if (!changelog) throw new CliError(`${ref.text} (${shortDigest(digest)}) has no changelog attestation (published before changelogs: use tempered diff)`, ExitCode.failed);
      if (opts.json) return printJson(changelog);
      printChangelog(changelog);
    });

  program
    .command('diff')
    .description('the package changes between two published digests of an image, from their signed SBOMs')
    .argument('<from>', IMAGE)
    .argument('<to>', IMAGE)
    .option('--key <file>', 'public key PEM (default: the one tempered keys init wrote)')
    .option('--json', 'print JSON for scripts')
    .action(async (fromText: string, toText: string, opts: { key?: string; json?: boolean }) => {
      const [from, to] = [publishedImage(fromText), publishedImage(toText)];
      const key = publicKeyPem(opts.key);
      const { diffPackages } = require('../../domain/changelog/packageDiff') as typeof import('../../domain/changelog/packageDiff');
      const [a, b] = await Promise.all([packagesOf(from, key), packagesOf(to, key)]);
      const changes = diffPackages(a.packages, b.packages);
      if (opts.json) return printJson({ from: { image: from.text, digest: a.digest }, to: { image: to.text, digest: b.digest }, ...changes });
      printPackageChanges(changes);
      console.log(`${from.text} (${shortDigest(a.digest)}) -> ${to.text} (${shortDigest(b.digest)}): ${summary(changes)}`);
    });
}

async function packagesOf(ref: PublishedImageRef, key: Buffer) {
  const digest = await resolvePublished(ref);
  const { publishedPackages } = require('../../lib/changelog/publishedPackages') as typeof import('../../lib/changelog/publishedPackages');
  return { digest, packages: await verifying(() => publishedPackages(ref.registry, ref.repository, digest, key)) };
}

/** A verification failure is the answer (exit 1, naming what failed), not a crash. */
async function verifying<T>(read: () => Promise<T>): Promise<T> {
  const { VerificationError } = require('../../lib/signing/errors') as typeof import('../../lib/signing/errors');
  try {
    return await read();
  } catch (err) {
    if (err instanceof VerificationError) throw new CliError(`verification failed (${err.code}): ${err.message}`, ExitCode.failed);
    throw err;
  }
}

function summary(c: PackageChanges): string {
  return `${c.changed.length} changed, ${c.added.length} added, ${c.removed.length} removed`;
}

function printPackageChanges(c: PackageChanges): void {
  const rows = [
    ...c.changed.map((p) => ['changed', p.name, p.architecture, p.from, p.to, p.source]),
    ...c.added.map((p) => ['added', p.name, p.architecture, '', p.version, p.source]),
    ...c.removed.map((p) => ['removed', p.name, p.architecture, p.version, '', p.source]),
  ];
  if (rows.length) printTable(['CHANGE', 'PACKAGE', 'ARCH', 'FROM', 'TO', 'SOURCE'], rows);
}

function printChangelog(c: ChangelogPredicate): void {
  const image = `${c.image.repository}@${c.digest}`;
  console.log(`${image}\ncycle ${c.cycle}, published ${c.publishedOn}${c.previousDigest ? `, after ${shortDigest(c.previousDigest)}` : ''}\nwhy: ${c.why}`);
  if (c.base) console.log(`base: ${shortDigest(c.base.from ?? undefined) || 'none'} -> ${shortDigest(c.base.to)}`);
  if (c.packages) printPackageChanges(c.packages);
  else if (c.packagesUnknown) console.log(`packages: unknown (${c.packagesUnknown})`);
  const advisories = [
    ...c.advisories.fixed.map((a) => ['fixed', a.id, a.severity ?? '', a.source, a.version ?? '']),
    ...c.advisories.waiting.map((a) => ['waiting', a.id, a.severity ?? '', a.source, a.note ?? '']),
  ];
  if (advisories.length) printTable(['ADVISORY', 'ID', 'SEVERITY', 'SOURCE', 'VERSION / WHY'], advisories);
  console.log(c.summary);
}
