/**
 * Activity `signImage`: the image signature and its attestations (SLSA
 * provenance v1, CycloneDX SBOM, OpenVEX, CTRF test results), attached in the
 * registry both as cosign's legacy tags and as sigstore bundle referrers.
 * The private key is read here and nowhere else; nothing derived from it but
 * signatures leaves this function. Idempotent: a retry recognizes what it
 * already attached (lib/signing/attach.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_BUILDER_ID } from '../domain/attest/provenance';
import { vexRecords } from '../domain/attest/vex';
import type { CtrfReport } from '../domain/report/ctrf';
import { installedFromSbom } from '../domain/sbom/cyclonedx';
import { ImageRecords } from '../lib/catalog/imageRecords';
import type { ActivityContext } from '../lib/context';
import { withProgress } from './progress';
import { signAndAttach } from '../lib/signing/attach';
import { builtFrom } from '../lib/signing/builtFrom';
import { isKeyError } from '../lib/signing/errors';
import { loadSigningKey } from '../lib/signing/keys';
import { ErrorType, type SignInput, type SignResult } from './types';

export function signActivity(ctx: ActivityContext) {
  return async function signImageActivity(input: SignInput): Promise<SignResult> {
    return withProgress(async (progress) => {
      const record = new ImageRecords(ctx.paths.images).read(input.digest);
      const from = builtFrom(ctx, record);
      const sbom = JSON.parse(ctx.blobs.read(input.sbomDigest).toString('utf8')) as unknown;
      const ctrf = JSON.parse(ctx.blobs.read(input.reportDigest).toString('utf8')) as CtrfReport;
      let key;
      try {
        key = loadSigningKey(ctx.config.signingKeyPath);
      } catch (err) {
        if (isKeyError(err)) throw ApplicationFailure.nonRetryable(`${err.message} (create one with: tempered keys init)`, ErrorType.signingKeyMissing);
        throw err;
      }
      const { invocation } = input;
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
        vex: { records: input.vex ?? vexRecords(input.handled ?? [], input.waiting ?? []), packages: installedFromSbom(sbom), author: 'tempered', timestamp: invocation.finishedOn },
        progress,
      });
      return { signature: result.signature, attestations: result.attestations.map((a) => `${a.predicateType} (${a.status})`) };
    });
  };
}
