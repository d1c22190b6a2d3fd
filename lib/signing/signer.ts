/**
 * The one place signatures are made: a sigstore-js `Signer` over the
 * tempered key that first reuses a signature the registry already holds
 * for the same bytes.
 *
 * Why reuse: ECDSA signatures are randomized, so signing the same statement
 * twice gives two different envelopes, two different bundles and two
 * different manifest digests. The `.att` DSSE layer and the sigstore bundle
 * of an attestation sign the very same bytes (PAE of the statement), so once
 * either exists its signature makes the other deterministic, and a retried
 * activity rebuilds byte-identical artifacts instead of adding new ones.
 * Only signatures that verify with our key are ever learned.
 */
import { createHash } from 'node:crypto';
import type { Signature, Signer } from '@sigstore/sign';
import type { SigningKey } from './keys';

export class ReusingSigner implements Signer {
  private readonly known = new Map<string, Buffer>();
  /** How many signatures were made (not reused) by this signer: for the activity's result and tests. */
  created = 0;

  constructor(private readonly key: SigningKey) {}

  /** Remembers `signature` over `data` if it verifies with our key; says whether it did. */
  learn(data: Buffer, signature: Buffer): boolean {
    if (!this.key.publicKey.verify(data, signature)) return false;
    this.known.set(digestOf(data), signature);
    return true;
  }

  signBytes(data: Buffer): Buffer {
    const known = this.known.get(digestOf(data));
    if (known) return known;
    const signature = this.key.sign(data);
    this.created++;
    this.known.set(digestOf(data), signature);
    return signature;
  }

  /** sigstore-js Signer: the bundle builders call this with the bytes to sign (PAE for DSSE). */
  async sign(data: Buffer): Promise<Signature> {
    return {
      signature: this.signBytes(data),
      key: { $case: 'publicKey', publicKey: this.key.publicKey.pem, hint: this.key.publicKey.hint },
    };
  }
}

const digestOf = (data: Buffer) => createHash('sha256').update(data).digest('hex');
