/**
 * In-process verification of a published image with the public key alone:
 * no cosign binary, no network beyond the registry, no transparency log.
 *
 * Policy, strict on purpose (tempered owns what it attaches):
 *  - every signature and attestation attached to the digest, in either
 *    layout, must verify with the key, and every verified payload must be
 *    about this digest. A damaged or foreign entry fails verification with
 *    its location named, rather than being skipped as cosign skips it.
 *  - at least one image signature must verify, and every `require`d
 *    predicate type (default: SLSA provenance) must be attested.
 * The first problem found decides the error's code; all are listed.
 */
import { PredicateType } from '../../domain/attest/predicateTypes';
import { countComponents } from '../../domain/attest/sbom';
import { IN_TOTO_PAYLOAD_TYPE, parseStatement, type ParsedStatement } from '../../domain/attest/statement';
import { splitReference } from '../../domain/image';
import { ctrfSummary, type TestSummary } from '../../domain/attest/testResults';
import { vexStatusCounts, type VexStatus, VEX_STATUSES } from '../../domain/attest/vex';
import type { RegistryClient } from '../oci/registry';
import { BundleVerificationError, readReferrers, verifyStatementBundle, BUNDLE_PREDICATE_TYPE_ANNOTATION, type Referrers } from './bundles';
import { COSIGN_SIGNATURE_ANNOTATION, PREDICATE_TYPE_ANNOTATION, parseSimpleSigning, readLegacyImage, type LegacyImage } from './cosignLegacy';
import { parseEnvelope, verifiedSignature } from './dsse';
import { VerificationError, type VerificationErrorCode } from './errors';
import { PublicKey } from './keys';
import { ArtifactFormatError, attestationTag, signatureTag } from '../oci/artifacts';

export interface VerifyImageInput {
  registry: RegistryClient;
  repository: string;
  /** A tag (`1.0`, `latest`) or a digest (`sha256:...`). */
  reference: string;
  publicKeyPem: string | Buffer;
  /** Predicate types that must be attested; defaults to SLSA provenance v1. */
  require?: readonly string[];
  /**
   * The repository the signatures must name, when not `repository`: a mirror
   * copied under another name (`tempered mirror`). Never guessed: without it,
   * signatures copied from another repository are refused.
   */
  signedRepository?: string;
}

export interface AttestationFinding {
  predicateType: string;
  /** Verified in the cosign `.att` tag. */
  legacy: boolean;
  /** Verified as a sigstore bundle referrer. */
  bundle: boolean;
}

export interface VerificationReport {
  /** `registry/repository@sha256:...` */
  image: string;
  reference: string;
  digest: string;
  keyFingerprint: string;
  signature: { legacy: boolean; bundle: boolean };
  attestations: AttestationFinding[];
  predicateTypes: string[];
  provenance?: {
    builderId?: string;
    buildType?: string;
    invocationId?: string;
    lockDigest?: string;
    dependencies: number;
    /** What the build says it built: the image's name, release and variant, the cycle of its workflow, and when it finished. */
    image?: string;
    release?: string;
    variant?: string;
    cycle?: number;
    finishedOn?: string;
  };
  sbom?: { specVersion?: string; components: number };
  vex?: { statements: number; byStatus: Record<VexStatus, number> };
  tests?: TestSummary;
}

/** One attached entry and what checking it found. */
interface Checked {
  where: string;
  layout: 'legacy' | 'bundle';
  /** `signature` for image signatures (simple signing or cosign/sign/v1 bundles). */
  predicateType: string | 'signature';
  /** The signature verified with the key. */
  signed: boolean;
  problem?: { code: VerificationErrorCode; message: string };
  statement?: ParsedStatement;
  hint?: string;
}

export async function verifyImage(input: VerifyImageInput): Promise<VerificationReport> {
  return (await verifiedImage(input)).report;
}

/**
 * The image verified as verifyImage does, and the predicate of each verified
 * attestation by type: what `tempered changelog`, `diff` and the next
 * publish's changelog read, so nothing unverified is ever shown as ours.
 */
export async function verifiedImage(input: VerifyImageInput): Promise<{ report: VerificationReport; predicates: Map<string, Record<string, unknown>> }> {
  const { checked, reference, image, digest, key } = await checkImage(input);
  const predicates = new Map<string, Record<string, unknown>>();
  for (const c of checked) if (c.signed && !c.problem && c.statement && c.predicateType !== 'signature') predicates.set(c.predicateType, c.statement.predicate);
  return { report: report(checked, reference, image, digest, key), predicates };
}

/**
 * One attested predicate of an image, verified as verifiedImage verifies it
 * (DSSE signature with the key, the statement's subject this digest), read
 * from only the `.att` layers annotated with its type: what a changelog needs
 * of the previous publish, in three requests instead of the whole
 * verification's two dozen. An image with no such layer (attested in bundles
 * only) gets the whole verification.
 */
export async function verifiedPredicate(input: VerifyImageInput & { predicateType: string }): Promise<Record<string, unknown> | undefined> {
  const { registry, repository, predicateType } = input;
  const digest = await resolveDigest(registry, repository, input.reference);
  const attImage = await readLegacyImage(registry, repository, attestationTag(digest), (layer) => layer.annotations?.[PREDICATE_TYPE_ANNOTATION] === predicateType)
    .catch(malformed('ATTESTATION_INVALID'));
  const checked = checkAttestations(attImage, { digest, repository: input.signedRepository ?? repository }, PublicKey.fromPem(input.publicKeyPem));
  const verified = checked.find((c) => c.signed && !c.problem && c.statement);
  if (verified?.statement) return verified.statement.predicate;
  const problem = checked.find((c) => c.problem)?.problem;
  if (problem) throw new VerificationError(problem.code, problem.message);
  return (await verifiedImage({ ...input, reference: digest, require: [predicateType] })).predicates.get(predicateType);
}

async function checkImage(input: VerifyImageInput): Promise<{ checked: Checked[]; reference: string; image: string; digest: string; key: PublicKey }> {
  const { registry, repository, reference } = input;
  const key = PublicKey.fromPem(input.publicKeyPem);
  const digest = await resolveDigest(registry, repository, reference);
  const image = `${registry.host}/${repository}@${digest}`;

  const [sigImage, attImage, referrers] = await Promise.all([
    readLegacyImage(registry, repository, signatureTag(digest)).catch(malformed('SIGNATURE_INVALID')),
    readLegacyImage(registry, repository, attestationTag(digest)).catch(malformed('ATTESTATION_INVALID')),
    readReferrers(registry, repository, digest).catch(malformed('ATTESTATION_INVALID')),
  ]);
  if (sigImage.layers.length === 0 && attImage.layers.length === 0 && referrers.bundles.length === 0 && referrers.dangling.length === 0) {
    throw new VerificationError(
      'IMAGE_UNSIGNED',
      `${image}${reference === digest ? '' : ` (${reference})`} is not signed: no ${signatureTag(digest)}, ${attestationTag(digest)} or sigstore bundle referrers`,
    );
  }

  const subject = { digest, repository: input.signedRepository ?? repository };
  const checked = [...checkSignatures(sigImage, subject, key), ...checkAttestations(attImage, subject, key), ...checkBundles(referrers, subject, key)];
  const problems = decide(checked, key, image, input.require ?? [PredicateType.slsaProvenance1]);
  const first = problems[0];
  if (first) throw new VerificationError(first.code, first.message, problems.map((p) => p.message));
  return { checked, reference, image, digest, key };
}

/** A tag or referrer that is not an OCI manifest/index is tampering, not a registry fault. */
const malformed = (code: VerificationErrorCode) => (err: unknown): never => {
  if (err instanceof ArtifactFormatError) throw new VerificationError(code, err.message);
  throw err;
};

async function resolveDigest(registry: RegistryClient, repository: string, reference: string): Promise<string> {
  const digest = await registry.resolve(repository, reference);
  if (!digest) throw new VerificationError('IMAGE_NOT_FOUND', `${registry.host}/${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference} does not exist`);
  if (reference.startsWith('sha256:') && digest !== reference) {
    throw new VerificationError('SUBJECT_MISMATCH', `${registry.host}/${repository}@${reference} resolved to ${digest}`);
  }
  return digest;
}

/** What a signature must be about: this digest, in this repository (a registry host may have another name). */
interface Subject {
  digest: string;
  repository: string;
}

/**
 * Whether a reference a signature names (`host/repo` or `repo`) is this
 * repository. The host is not compared: the same registry is reached as
 * localhost:5000 or 127.0.0.1:5000. Without it an image copied from another
 * repository, with its genuine signatures, would verify here.
 */
function namesRepository(reference: string, repository: string): boolean {
  const name = splitReference(reference).repository;
  return name === repository || name.endsWith(`/${repository}`);
}

function checkSignatures(image: LegacyImage, { digest, repository }: Subject, key: PublicKey): Checked[] {
  return image.layers.map((layer): Checked => {
    const where = `${image.tag} layer ${layer.position}`;
    const base = { where, layout: 'legacy' as const, predicateType: 'signature' as const };
    const sig = layer.descriptor.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    if (!layer.blob) return { ...base, signed: false, problem: { code: 'SIGNATURE_INVALID', message: `${where}: payload blob ${layer.descriptor.digest} is missing or does not match its digest` } };
    if (!sig) return { ...base, signed: false, problem: { code: 'SIGNATURE_INVALID', message: `${where}: no ${COSIGN_SIGNATURE_ANNOTATION} annotation` } };
    if (!key.verify(layer.blob, Buffer.from(sig, 'base64'))) {
      return { ...base, signed: false, problem: { code: 'SIGNATURE_INVALID', message: `${where}: signature does not verify with key ${key.fingerprint} (payload or signature altered, or another key)` } };
    }
    const claimed = parseSimpleSigning(layer.blob);
    if (!claimed) return { ...base, signed: true, problem: { code: 'SIGNATURE_INVALID', message: `${where}: signed payload is not a cosign simple-signing payload` } };
    if (claimed.digest !== digest) {
      return { ...base, signed: true, problem: { code: 'SUBJECT_MISMATCH', message: `${where}: signature is for ${claimed.digest}, not ${digest} (signatures copied from another image)` } };
    }
    const signedFor = claimed.reference;
    if (!signedFor || !namesRepository(signedFor, repository)) {
      return { ...base, signed: true, problem: { code: 'SUBJECT_MISMATCH', message: `${where}: signed for ${signedFor ?? 'no repository'}, not ${repository} (copied from another repository)` } };
    }
    return { ...base, signed: true };
  });
}

function checkAttestations(image: LegacyImage, subject: Subject, key: PublicKey): Checked[] {
  return image.layers.map((layer): Checked => {
    const annotated = layer.descriptor.annotations?.[PREDICATE_TYPE_ANNOTATION];
    const where = `${image.tag} layer ${layer.position}${annotated ? ` (${annotated})` : ''}`;
    const base = { where, layout: 'legacy' as const, predicateType: annotated ?? 'unknown' };
    const invalid = (message: string, signed = false): Checked => ({ ...base, signed, problem: { code: 'ATTESTATION_INVALID', message: `${where}: ${message}` } });
    if (!layer.blob) return invalid(`envelope blob ${layer.descriptor.digest} is missing or does not match its digest`);
    let envelope;
    try {
      envelope = parseEnvelope(layer.blob);
    } catch (err) {
      return invalid((err as Error).message);
    }
    if (!verifiedSignature(envelope, key)) return invalid(`DSSE signature does not verify with key ${key.fingerprint} (envelope altered, or another key)`);
    return checkStatement({ ...base, signed: true }, envelope.payloadType, envelope.payload, subject, annotated);
  });
}

function checkBundles(referrers: Referrers, subject: Subject, key: PublicKey): Checked[] {
  const { digest } = subject;
  const dangling = referrers.dangling.map(
    (d): Checked => ({
      where: `${referrers.tag} entry ${d.digest}`,
      layout: 'bundle',
      predicateType: d.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION] ?? 'unknown',
      signed: false,
      problem: { code: 'ATTESTATION_INVALID', message: `${referrers.tag} lists ${d.digest}, which the registry does not have` },
    }),
  );
  const bundles = referrers.bundles.map((r): Checked => {
    const annotated = r.manifest.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION];
    const where = `bundle referrer ${r.entry.digest.slice(0, 19)}${annotated ? ` (${annotated})` : ''}`;
    const kind = annotated === PredicateType.cosignSign ? 'signature' : (annotated ?? 'unknown');
    const base = { where, layout: 'bundle' as const, predicateType: kind };
    const code: VerificationErrorCode = kind === 'signature' ? 'SIGNATURE_INVALID' : 'ATTESTATION_INVALID';
    if (r.manifest.subject?.digest !== digest) {
      return { ...base, signed: false, problem: { code: 'SUBJECT_MISMATCH', message: `${where}: is attached to ${r.manifest.subject?.digest ?? 'no subject'}, not ${digest}` } };
    }
    if (!r.bundle) return { ...base, signed: false, problem: { code, message: `${where}: no single bundle layer that matches its digest` } };
    try {
      const verified = verifyStatementBundle(r.bundle, key);
      const checkedStatement = checkStatement({ ...base, signed: true, hint: verified.hint }, verified.payloadType, verified.payload, subject, annotated);
      return checkedStatement.statement?.predicateType === PredicateType.cosignSign ? { ...checkedStatement, predicateType: 'signature' } : checkedStatement;
    } catch (err) {
      if (!(err instanceof BundleVerificationError)) throw err;
      return { ...base, signed: false, hint: err.hint, problem: { code, message: `${where}: ${err.message}` } };
    }
  });
  return [...dangling, ...bundles];
}

/** Checks what a verified signature covers: an in-toto statement about `digest`, of the annotated type. */
function checkStatement(base: Checked, payloadType: string, payload: Buffer, { digest, repository }: Subject, annotated: string | undefined): Checked {
  const invalid = (code: VerificationErrorCode, message: string): Checked => ({ ...base, problem: { code, message: `${base.where}: ${message}` } });
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return invalid('ATTESTATION_INVALID', `payloadType is ${payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  let statement: ParsedStatement;
  try {
    statement = parseStatement(payload);
  } catch (err) {
    return invalid('ATTESTATION_INVALID', (err as Error).message);
  }
  const withStatement = { ...base, predicateType: statement.predicateType, statement };
  if (!statement.subjectDigests.includes(digest)) {
    return { ...withStatement, problem: { code: 'SUBJECT_MISMATCH', message: `${base.where}: statement is about ${statement.subjectDigests.join(', ') || 'no sha256 subject'}, not ${digest}` } };
  }
  const names = statement.subjectNames;
  if (names.length > 0 && !names.some((name) => namesRepository(name, repository))) {
    return { ...withStatement, problem: { code: 'SUBJECT_MISMATCH', message: `${base.where}: statement is signed for ${names.join(', ')}, not ${repository} (copied from another repository)` } };
  }
  if (annotated !== undefined && annotated !== statement.predicateType) {
    return { ...withStatement, problem: { code: 'ATTESTATION_INVALID', message: `${base.where}: annotated as ${annotated} but the signed statement is ${statement.predicateType}` } };
  }
  return withStatement;
}

const PRIORITY: readonly VerificationErrorCode[] = ['WRONG_KEY', 'SUBJECT_MISMATCH', 'SIGNATURE_INVALID', 'ATTESTATION_INVALID', 'IMAGE_UNSIGNED', 'ATTESTATION_MISSING'];

function decide(checked: readonly Checked[], key: PublicKey, image: string, required: readonly string[]): { code: VerificationErrorCode; message: string }[] {
  const problems = checked.flatMap((c) => (c.problem ? [c.problem] : []));
  if (!checked.some((c) => c.signed)) {
    const hints = [...new Set(checked.flatMap((c) => (c.hint && c.hint !== key.hint ? [c.hint] : [])))];
    const byOther = hints.length > 0 ? `; its bundles name signing key hint ${hints.join(', ')}, the given key's is ${key.hint}` : '';
    return [{ code: 'WRONG_KEY', message: `nothing attached to ${image} verifies with key ${key.fingerprint}: wrong public key, or every signature was altered${byOther}` }, ...problems];
  }
  const good = checked.filter((c) => c.signed && !c.problem);
  if (!good.some((c) => c.predicateType === 'signature')) {
    problems.push({ code: 'IMAGE_UNSIGNED', message: `${image} has attestations but no image signature that verifies` });
  }
  for (const type of required) {
    if (!good.some((c) => c.predicateType === type)) problems.push({ code: 'ATTESTATION_MISSING', message: `${image} has no verified ${type} attestation` });
  }
  return problems.sort((a, b) => PRIORITY.indexOf(a.code) - PRIORITY.indexOf(b.code));
}

function report(checked: readonly Checked[], reference: string, image: string, digest: string, key: PublicKey): VerificationReport {
  const good = checked.filter((c) => c.signed && !c.problem);
  const types = [...new Set(good.flatMap((c) => (c.predicateType !== 'signature' ? [c.predicateType] : [])))].sort();
  const predicate = (type: string) => good.find((c) => c.predicateType === type)?.statement?.predicate;
  const out: VerificationReport = {
    image,
    reference,
    digest,
    keyFingerprint: key.fingerprint,
    signature: {
      legacy: good.some((c) => c.predicateType === 'signature' && c.layout === 'legacy'),
      bundle: good.some((c) => c.predicateType === 'signature' && c.layout === 'bundle'),
    },
    attestations: types.map((predicateType) => ({
      predicateType,
      legacy: good.some((c) => c.predicateType === predicateType && c.layout === 'legacy'),
      bundle: good.some((c) => c.predicateType === predicateType && c.layout === 'bundle'),
    })),
    predicateTypes: types,
  };
  const slsa = predicate(PredicateType.slsaProvenance1) as
    | {
        buildDefinition?: { buildType?: string; externalParameters?: { lockDigest?: string }; internalParameters?: { image?: unknown; release?: unknown; variant?: unknown; cycle?: unknown }; resolvedDependencies?: unknown[] };
        runDetails?: { builder?: { id?: string }; metadata?: { invocationId?: string; finishedOn?: string } };
      }
    | undefined;
  if (slsa) {
    out.provenance = {
      builderId: str(slsa.runDetails?.builder?.id),
      buildType: str(slsa.buildDefinition?.buildType),
      invocationId: str(slsa.runDetails?.metadata?.invocationId),
      lockDigest: str(slsa.buildDefinition?.externalParameters?.lockDigest),
      dependencies: Array.isArray(slsa.buildDefinition?.resolvedDependencies) ? slsa.buildDefinition.resolvedDependencies.length : 0,
      image: str(slsa.buildDefinition?.internalParameters?.image),
      release: str(slsa.buildDefinition?.internalParameters?.release),
      variant: str(slsa.buildDefinition?.internalParameters?.variant),
      cycle: typeof slsa.buildDefinition?.internalParameters?.cycle === 'number' ? slsa.buildDefinition.internalParameters.cycle : undefined,
      finishedOn: str(slsa.runDetails?.metadata?.finishedOn),
    };
  }
  const bom = predicate(PredicateType.cyclonedx);
  if (bom) out.sbom = { specVersion: str((bom as { specVersion?: unknown }).specVersion), components: countComponents(bom) };
  const vex = predicate(PredicateType.openvex);
  if (vex) {
    const byStatus = vexStatusCounts(vex);
    out.vex = { statements: VEX_STATUSES.reduce((n, s) => n + byStatus[s], 0), byStatus };
  }
  const ctrf = predicate(PredicateType.ctrf);
  if (ctrf) out.tests = ctrfSummary(ctrf);
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A human summary, one fact per line, for `tempered verify`. */
export function formatVerification(report: VerificationReport): string {
  const mark = (ok: boolean) => (ok ? 'yes' : 'no');
  const rows: [string, string][] = [
    ['image', report.image],
    ['reference', report.reference],
    ['key', report.keyFingerprint],
    ['signature', `cosign .sig: ${mark(report.signature.legacy)}   sigstore bundle: ${mark(report.signature.bundle)}`],
  ];
  const width = Math.max(0, ...report.attestations.map((a) => a.predicateType.length));
  report.attestations.forEach((a, i) => {
    rows.push([i === 0 ? 'attestations' : '', `${a.predicateType.padEnd(width)}   .att: ${mark(a.legacy)}   bundle: ${mark(a.bundle)}`]);
  });
  if (report.attestations.length === 0) rows.push(['attestations', 'none']);
  if (report.provenance) {
    rows.push(['builder', report.provenance.builderId ?? '(none)']);
    rows.push(['build type', report.provenance.buildType ?? '(none)']);
    rows.push(['invocation', report.provenance.invocationId ?? '(none)']);
    rows.push(['lock digest', report.provenance.lockDigest ?? '(none)']);
    rows.push(['dependencies', String(report.provenance.dependencies)]);
  }
  if (report.sbom) rows.push(['SBOM', `CycloneDX ${report.sbom.specVersion ?? '?'}, ${report.sbom.components} components`]);
  if (report.vex) {
    const parts = VEX_STATUSES.filter((s) => report.vex && report.vex.byStatus[s] > 0).map((s) => `${report.vex?.byStatus[s]} ${s}`);
    rows.push(['VEX', `${report.vex.statements} statements${parts.length ? ` (${parts.join(', ')})` : ''}`]);
  }
  if (report.tests) rows.push(['tests', `${report.tests.passed}/${report.tests.tests} passed, ${report.tests.failed} failed, ${report.tests.skipped} skipped`]);
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(labelWidth)}  ${value}`).join('\n') + '\n';
}
