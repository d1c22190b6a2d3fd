/**
 * Activity `signImage`: the image signature and its attestations (SLSA
 * provenance v1, CycloneDX SBOM, OpenVEX, CTRF test results), attached in the
 * registry both as cosign's legacy tags and as sigstore bundle referrers. An
 * image index is signed the same way, after its platform manifests, with
 * their SBOMs and test results merged and provenance naming every
 * platform's packages.
 * The private key is read here and nowhere else; nothing derived from it but
 * signatures leaves this function. Idempotent: a retry recognizes what it
 * already attached (lib/signing/attach.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { buildVulns } from '../domain/attest/vulns';
import type { VexRecord } from '../domain/attest/vexRecords';
import { buildChangelog, type ChangelogInput, type ChangelogPredicate, type ChangelogRequest } from '../domain/changelog/changelog';
import { diffPackages } from '../domain/changelog/packageDiff';
import { findRepoRoot } from '../domain/config';
import { publishedPackages } from '../lib/changelog/publishedPackages';
import { VerificationError } from '../lib/signing/errors';
import { DEFAULT_BUILDER_ID } from '../domain/attest/provenance';
import { vexRecords } from '../domain/attest/vex';
import { Annotation } from '../domain/oci/image';
import { platformName } from '../domain/platform';
import { type CtrfReport, platformsReport } from '../domain/report/ctrf';
import { installedFromSbom } from '../domain/sbom/cyclonedx';
import { type ImageRecord } from '../lib/catalog/imageRecords';
import { type ActivityContext, referenceOf } from '../lib/context';
import { pullByDigest } from '../lib/oci/push';
import { indexSbom } from '../lib/sbom/indexSbom';
import { withProgress } from './progress';
import { signAndAttach } from '../lib/signing/attach';
import { builtFrom } from '../lib/signing/builtFrom';
import { isKeyError } from '../lib/signing/errors';
import { loadSigningKey } from '../lib/signing/keys';
import { ErrorType, type SignInput, type SignResult } from './types';

export function signActivity(ctx: ActivityContext) {
  return async function signImageActivity(input: SignInput): Promise<SignResult> {
    return withProgress(async (progress) => {
      const record = await ctx.records.read(input.digest);
      const from = await builtFrom(ctx, record);
      const { sbom, ctrf } = input.platforms ? await indexEvidence(ctx, record, input.platforms) : {
        sbom: JSON.parse((await ctx.documents.getContent('sbom', input.sbomDigest)).toString('utf8')) as unknown,
        ctrf: await readReport(ctx, input.reportDigest),
      };
      let key;
      try {
        key = loadSigningKey(ctx.config.signingKeyPath);
      } catch (err) {
        if (isKeyError(err)) throw ApplicationFailure.nonRetryable(`${err.message} (create one with: tempered keys init)`, ErrorType.signingKeyMissing);
        throw err;
      }
      const { invocation } = input;
      const vex = input.vex ?? vexRecords(input.handled ?? [], input.waiting ?? []);
      const changelog = input.changelog && await changelogOf(ctx, record, input.digest, sbom, vex, invocation, input.changelog);
      const result = await signAndAttach({
        registry: ctx.registry,
        repository: record.repository,
        digest: input.digest,
        key,
        sbom,
        ctrf,
        provenance: {
          definition: from.definition,
          lockDigest: record.lockDigest,
          internal: { image: record.image.name, ...(from.release ? { release: from.release } : {}), variant: from.variant, cycle: invocation.cycle },
          packages: from.packages,
          ...(from.baseImage ? { baseImage: from.baseImage } : {}),
          builderId: DEFAULT_BUILDER_ID,
          invocation: { workflowId: invocation.workflowId, runId: invocation.runId },
          startedOn: invocation.startedOn,
          finishedOn: invocation.finishedOn,
        },
        vex: { records: vex, packages: installedFromSbom(sbom), author: 'tempered', timestamp: invocation.finishedOn },
        vulns: buildVulns({ records: vex, version: temperedVersion(), snapshotAt: invocation.startedOn, scanStartedOn: invocation.startedOn, scanFinishedOn: invocation.finishedOn }),
        ...(changelog ? { changelog } : {}),
        progress,
      });
      return {
        signature: result.signature,
        attestations: result.attestations.map((a) => `${a.predicateType} (${a.status})`),
        ...(changelog ? { changelog: changelog.summary } : {}),
      };
    });
  };
}

/** The publish's changelog: package changes against the previous digest's signed SBOM, advisories from the VEX records. */
async function changelogOf(
  ctx: ActivityContext, record: ImageRecord, digest: string, sbom: unknown, vex: VexRecord[], invocation: SignInput['invocation'], request: ChangelogRequest,
): Promise<ChangelogPredicate> {
  const after = installedFromSbom(sbom);
  let packages: ChangelogInput['packages'] = { changes: diffPackages([], after) };
  if (request.previousDigest) {
    try {
      packages = { changes: diffPackages(await publishedPackages(ctx.registry, record.repository, request.previousDigest, fs.readFileSync(ctx.config.publicKeyPath)), after) };
    } catch (err) {
      // Signed by an older key, or its attestations are gone: say so in the changelog rather than fail the publish.
      if (!(err instanceof VerificationError)) throw err;
      packages = { unknown: `the SBOM of ${request.previousDigest} did not verify: ${err.message}`.slice(0, 500) };
    }
  }
  const { image } = record;
  return buildChangelog({
    image: { repository: record.repository, name: image.name, ...(image.kind === 'catalog' ? { release: image.release, variant: image.variant } : { variant: 'custom' }) },
    digest, cycle: invocation.cycle, publishedOn: invocation.finishedOn, request, packages, vex,
  });
}

let version: string | undefined;
const temperedVersion = () => (version ??= (JSON.parse(fs.readFileSync(path.join(findRepoRoot(), 'package.json'), 'utf8')) as { version: string }).version);

const readReport = async (ctx: ActivityContext, digest: string) => JSON.parse((await ctx.documents.getContent('test-report', digest)).toString('utf8')) as CtrfReport;

/** An index's SBOM and test results: its platforms', merged (lib/sbom/indexSbom.ts, platformsReport). */
async function indexEvidence(ctx: ActivityContext, record: ImageRecord, platforms: NonNullable<SignInput['platforms']>): Promise<{ sbom: unknown; ctrf: CtrfReport }> {
  await pullByDigest(ctx.registry, record.repository, ctx.blobs, record.digest);
  const index = ctx.blobs.readJson<{ annotations?: Record<string, string> }>(record.digest);
  const created = index.annotations?.[Annotation.created];
  const sbom = await indexSbom(ctx.blobs, { digest: record.digest, ...(created ? { created } : {}) }, platforms.map((p) => p.digest), {
    name: record.repository,
    variant: record.image.kind === 'catalog' ? record.image.variant : 'custom',
    reference: referenceOf(ctx.config, record.repository, record.tag),
  });
  const reports = await Promise.all(platforms.map(async (p) => ({ platform: platformName(p.architecture), report: await readReport(ctx, p.reportDigest) })));
  const ctrf = platformsReport(reports, {
    image: record.image.name, tag: record.tag, digest: record.digest,
  });
  return { sbom: JSON.parse(sbom) as unknown, ctrf };
}
