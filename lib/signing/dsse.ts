/**
 * DSSE envelopes (https://github.com/secure-systems-lab/dsse) as cosign
 * stores them in `.att` layers: `{"payloadType","payload","signatures":[{"keyid","sig"}]}`
 * with base64 payload and signature, the signature over the pre-authentication
 * encoding PAE(payloadType, payload).
 *
 * keyid is left empty, as cosign writes it: go-securesystemslib skips a
 * signature whose keyid differs from the verifier's own SSH-style fingerprint,
 * so any other keyid would make cosign and sigstore-go reject the envelope.
 */
import { dsse } from '@sigstore/core';
import { z } from 'zod';
import type { PublicKey } from './keys';
import { TemperedError } from '../../domain/errors';

export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

export interface DsseEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: { keyid: string; sig: Buffer }[];
}

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'is not base64');
const SerializedEnvelopeSchema = z.object({
  payloadType: z.string(),
  payload: Base64,
  signatures: z.array(z.object({ keyid: z.string().optional(), sig: Base64 })).min(1),
});

export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  return dsse.preAuthEncoding(payloadType, payload);
}

/** An envelope around `payload` carrying the given signature over PAE(payloadType, payload). */
export function envelopeWithSignature(payloadType: string, payload: Buffer, signature: Buffer): DsseEnvelope {
  return { payloadType, payload, signatures: [{ keyid: '', sig: signature }] };
}

/** Bytes of the `.att` layer: field order as cosign writes it, so layers from both tools look alike. */
export function serializeEnvelope(envelope: DsseEnvelope): Buffer {
  return Buffer.from(
    JSON.stringify({
      payloadType: envelope.payloadType,
      payload: envelope.payload.toString('base64'),
      signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig.toString('base64') })),
    }),
  );
}

export class EnvelopeFormatError extends TemperedError<'ENVELOPE_MALFORMED'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ENVELOPE_MALFORMED', message, options);
  }
}

export function parseEnvelope(bytes: Buffer): DsseEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new EnvelopeFormatError('DSSE envelope is not JSON');
  }
  const result = SerializedEnvelopeSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EnvelopeFormatError(`not a DSSE envelope: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const e = result.data;
  return {
    payloadType: e.payloadType,
    payload: Buffer.from(e.payload, 'base64'),
    signatures: e.signatures.map((s) => ({ keyid: s.keyid ?? '', sig: Buffer.from(s.sig, 'base64') })),
  };
}

/** The first signature of the envelope that verifies with `key`, or undefined. */
export function verifiedSignature(envelope: DsseEnvelope, key: PublicKey): Buffer | undefined {
  const pae = preAuthEncoding(envelope.payloadType, envelope.payload);
  return envelope.signatures.find((s) => key.verify(pae, s.sig))?.sig;
}
