/**
 * `buildImage` for a customization: verify the base (signature and SLSA
 * provenance, exactly as the cascade's verifyBase does: an unsigned or
 * tampered base is a non-retryable BaseVerificationFailed), then build the
 * base's layers plus one new layer, record what was built, and push it by
 * digest (untagged: publish moves the tag). With no base digest given (a
 * first cycle before any cascade) it builds on the digest the base's tag
 * names now and reports which, so the workflow can hold on to it.
 */
import { type GroupEntry, imageUser, mergeAccounts, type PasswdEntry, resolveGid, resolveUid } from '../../../domain/catalog/accounts';
import { customTestSpec } from '../../../domain/customization/effective';
import { type LoadedCustomization, managedPath } from '../../../domain/customization/load';
import { landingPath } from '../../../domain/rootfs/placeOnBase';
import { caCertificates, readSource, SourceProblem } from '../../../domain/customization/sources';
import { InputError } from '../../../domain/schema/errors';
import { baseAccounts, type BaseImage, openBaseImage, publishedBaseDigest } from './baseImage';
import { buildCustomImage } from './image';
import type { StagedFile } from './layerTree';
import { buildContextOf } from '../context';
import { customSubject } from '../../catalog/customSubject';
import type { ActivityContext } from '../../context';
import type { Progress } from '../../progress';
import { pushByDigest } from '../../oci/push';
import type { BuildInput, BuildResult } from '../../../activities/types';
import { verifyBaseCandidate } from '../../signing/baseVerification';

export async function buildCustomizedImage(ctx: ActivityContext, input: BuildInput, progress: Progress): Promise<BuildResult> {
  const subject = customSubject(ctx.config, input.image);
  const { loaded } = subject;
  const c = loaded.customization;
  const baseDigest = input.baseDigest ?? (await publishedBaseDigest(ctx, subject));

  progress(`verifying the base ${subject.repository}@${baseDigest.slice(0, 19)}: signature and provenance`);
  await verifyBaseCandidate(ctx, { repository: subject.repository, digest: baseDigest, expected: c.base });
  const base = await openBaseImage(ctx, subject, baseDigest);
  const lock = await ctx.customLocks.load(input.lockDigest);

  const accounts = mergeAccounts(baseAccounts(base.filesystem), { users: c.accounts?.users ?? [], groups: c.accounts?.groups ?? [] });
  const certificates = readCertificates(loaded);
  const built = await buildCustomImage(
    {
      subject, base, lock, lockDigest: input.lockDigest, customization: c,
      prune: subject.base.spec.prune,
      accounts: c.accounts?.users.length || c.accounts?.groups.length ? accounts : undefined,
      user: c.accounts?.runAs === undefined ? undefined : imageUser(c.accounts.runAs, accounts),
      certificates,
      files: stagedFiles(loaded, base, accounts),
      runtime: c.base.variant === 'runtime',
    },
    buildContextOf(ctx, progress),
  );

  await ctx.records.write({
    image: input.image,
    digest: built.digest,
    spec: customTestSpec(subject.base.spec, c, subject.tag, certificates),
    lockDigest: input.lockDigest,
    repository: subject.repository,
    tag: subject.tag,
    baseDigest,
    builtAt: new Date().toISOString(),
    custom: {
      customization: c,
      base: { image: subject.base.image, repository: base.repository, tag: base.tag, name: base.name, digest: baseDigest },
    },
  });
  progress(`pushing ${built.digest} to ${ctx.registry.host}/${subject.repository} (untagged; the base's layers are there already)`);
  await pushByDigest(ctx.registry, subject.repository, ctx.blobs, built.digest, baseDigest);
  return {
    digest: built.digest, lockDigest: built.lockDigest, repository: subject.repository,
    size: built.size, compressedSize: built.compressedSize, packageCount: built.packageCount, baseDigest,
  };
}

function readCertificates(loaded: LoadedCustomization): { name: string; pems: string[] }[] {
  return loaded.customization.certificates.map((cert, i) => {
    try {
      return { name: cert.name, pems: caCertificates(cert.content ?? readSource(loaded.sourceDir, cert.source ?? '').toString('utf8')) };
    } catch (err) {
      if (!(err instanceof SourceProblem)) throw err;
      throw new InputError(loaded.file, [{ field: `certificates[${i}]`, problem: err.message }]);
    }
  });
}

/**
 * Each file's bytes and numeric owner. Where a file lands is decided by the
 * base's symlinks (`/usr/lib/ssl/certs -> /etc/ssl/certs` on a dev base), so
 * the paths tempered manages are checked there, not only as written; and a
 * file where the base has a directory would erase that directory.
 */
export function stagedFiles(loaded: LoadedCustomization, base: Pick<BaseImage, 'filesystem'>, accounts: { users: PasswdEntry[]; groups: GroupEntry[] }): StagedFile[] {
  return loaded.customization.files.map((f, i) => {
    const lands = landingPath({ path: f.path, type: 'file' }, base.filesystem);
    const managed = managedPath(lands);
    if (managed) throw new InputError(loaded.file, [{ field: `files[${i}].path`, problem: `${f.path} lands on ${lands} in the base image, which tempered writes; use ${managed.use} instead` }]);
    if (base.filesystem.directories[lands]) throw new InputError(loaded.file, [{ field: `files[${i}].path`, problem: `${f.path}${lands !== f.path ? ` (${lands} on the base)` : ''} is a directory in the base image` }]);
    let content: Buffer;
    try {
      content = f.content !== undefined ? Buffer.from(f.content) : readSource(loaded.sourceDir, f.source ?? '');
    } catch (err) {
      if (!(err instanceof SourceProblem)) throw err;
      throw new InputError(loaded.file, [{ field: `files[${i}].source`, problem: err.message }]);
    }
    const uid = resolveUid(f.uid, accounts.users);
    const gid = f.gid === undefined ? (accounts.users.find((u) => u.uid === uid)?.gid ?? uid) : resolveGid(f.gid, accounts.groups);
    return { path: f.path, content, mode: f.mode, uid, gid };
  });
}
