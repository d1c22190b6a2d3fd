/**
 * in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md):
 * the signed payload of every attestation.
 *
 * A statement has exactly four keys. cosign and sigstore-go read it with
 * protojson, which rejects unknown fields, so an extra key would make stock
 * verifiers refuse an attestation we signed.
 *
 * Statements are serialized as canonical JSON (sorted keys) so the same
 * inputs give the same bytes, and so the same statement digest: that digest
 * is how a retried sign activity recognizes an attestation it already made.
 */
import { z } from 'zod';
import { canonicalJson, hexOf, sha256Digest } from '../digest';
import { AttestationInputError } from './errors';

export const STATEMENT_TYPE_V1 = 'https://in-toto.io/Statement/v1';
/** DSSE payloadType of an in-toto statement; cosign requires exactly this string. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface Subject {
  /** The image repository (`registry/repository`), as cosign names subjects. */
  name: string;
  digest: { sha256: string };
}

export interface Statement<P extends object = object> {
  _type: typeof STATEMENT_TYPE_V1;
  subject: Subject[];
  predicateType: string;
  predicate: P;
}

const HEX64 = /^[0-9a-f]{64}$/;

const SubjectSchema = z.looseObject({
  name: z.string().optional(),
  digest: z.record(z.string(), z.string()),
});

const StatementSchema = z.strictObject({
  _type: z.literal(STATEMENT_TYPE_V1),
  subject: z.array(SubjectSchema).min(1),
  predicateType: z.string().min(1),
  predicate: z.record(z.string(), z.unknown()),
});

/** What a verifier learns from a statement it parsed (subjects as `sha256:<hex>`). */
export interface ParsedStatement {
  predicateType: string;
  predicate: Record<string, unknown>;
  subjectDigests: string[];
  subjectNames: string[];
}

/** The subject of an image: its repository and manifest digest. */
export function imageSubject(repositoryName: string, digest: string): Subject {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new AttestationInputError('INVALID_STATEMENT', `subject digest "${digest}" is not sha256:<64 hex digits>`);
  }
  return { name: repositoryName, digest: { sha256: hexOf(digest) } };
}

export function makeStatement<P extends object>(subject: Subject, predicateType: string, predicate: P): Statement<P> {
  if (!/^https?:\/\/\S+$/.test(predicateType)) {
    throw new AttestationInputError('INVALID_STATEMENT', `predicateType "${predicateType}" is not a URI`);
  }
  return { _type: STATEMENT_TYPE_V1, subject: [subject], predicateType, predicate };
}

export function serializeStatement(statement: Statement): Buffer {
  return Buffer.from(canonicalJson(statement), 'utf8');
}

/** Digest of the serialized statement: the identity of an attestation across retries. */
export function statementDigest(statement: Statement): string {
  return sha256Digest(serializeStatement(statement));
}

/** Parses a DSSE payload as an in-toto v1 statement; throws naming the first problem. */
export function parseStatement(payload: Buffer): ParsedStatement {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new AttestationInputError('INVALID_STATEMENT', 'payload is not JSON');
  }
  const result = StatementSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AttestationInputError('INVALID_STATEMENT', `not an in-toto v1 statement: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const { subject, predicateType, predicate } = result.data;
  return {
    predicateType,
    predicate,
    subjectDigests: subject.flatMap((s) => (s.digest.sha256 && HEX64.test(s.digest.sha256) ? [`sha256:${s.digest.sha256}`] : [])),
    subjectNames: subject.flatMap((s) => (s.name ? [s.name] : [])),
  };
}
