/**
 * The signing key: an ECDSA P-256 pair made with node:crypto.
 *
 * The private key is PKCS#8 PEM and NOT encrypted: the sign activity reads
 * it unattended on a worker, where a passphrase would have to sit in the
 * environment next to the file and protect nothing. Its protection is the
 * file system instead: the file is 0600 and its directory 0700, and
 * loadSigningKey refuses a key others can read, as ssh does. (A deployment
 * that wants more puts the key in a KMS; the Signer seam in bundles.ts is
 * where that plugs in.)
 *
 * The public key is SPKI PEM ("PUBLIC KEY"), which `cosign verify --key`
 * reads directly.
 *
 * The private key never leaves this module: SigningKey holds it in an ES
 * private field, and serializes (JSON, util.inspect, so logs and Temporal
 * payloads) as its public fingerprint only.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes, sign, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { isKeyError, SignError } from './errors';

const CURVE = 'prime256v1';

/** The public key of a key pair: what verifiers and registries get to see. */
export class PublicKey {
  readonly pem: string;
  /** `sha256:<hex>` of the DER SubjectPublicKeyInfo: names the key in reports and errors. */
  readonly fingerprint: string;
  /**
   * The sigstore bundle key hint: base64 of the same SHA-256, the form cosign
   * v3 writes (cosign internal/key/svkeypair.go). Unauthenticated: used to say
   * "signed by another key", never to decide trust.
   */
  readonly hint: string;

  private constructor(readonly keyObject: KeyObject) {
    const der = keyObject.export({ type: 'spki', format: 'der' });
    const sum = createHash('sha256').update(der).digest();
    this.pem = keyObject.export({ type: 'spki', format: 'pem' }).toString();
    this.fingerprint = 'sha256:' + sum.toString('hex');
    this.hint = sum.toString('base64');
  }

  static fromKeyObject(key: KeyObject): PublicKey {
    assertP256(key, 'public key');
    return new PublicKey(key.type === 'private' ? createPublicKey(key) : key);
  }

  static fromPem(pem: string | Buffer): PublicKey {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: pem, format: 'pem' });
    } catch (err) {
      throw new SignError('KEY_INVALID', `not a PEM public key (${(err as Error).message})`);
    }
    return PublicKey.fromKeyObject(key);
  }

  /** ECDSA-SHA256 over `data`, DER signature (what cosign and DSSE use). False for any malformed signature. */
  verify(data: Buffer, signature: Buffer): boolean {
    try {
      return verify('sha256', data, { key: this.keyObject, dsaEncoding: 'der' }, signature);
    } catch {
      return false;
    }
  }
}

export class SigningKey {
  readonly #privateKey: KeyObject;
  readonly publicKey: PublicKey;

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    this.publicKey = PublicKey.fromKeyObject(privateKey);
  }

  /** Only for keys already in memory (tests, a KMS adapter); workers use loadSigningKey. */
  static fromKeyObject(privateKey: KeyObject): SigningKey {
    if (privateKey.type !== 'private') throw new SignError('KEY_INVALID', 'not a private key');
    assertP256(privateKey, 'signing key');
    return new SigningKey(privateKey);
  }

  get fingerprint(): string {
    return this.publicKey.fingerprint;
  }

  /** ECDSA P-256 with SHA-256, ASN.1 DER encoded. Randomized: two calls give two signatures. */
  sign(data: Buffer): Buffer {
    return sign('sha256', data, { key: this.#privateKey, dsaEncoding: 'der' });
  }

  toJSON(): { fingerprint: string } {
    return { fingerprint: this.fingerprint };
  }

  [inspect.custom](): string {
    return `SigningKey(${this.fingerprint})`;
  }

  toString(): string {
    return `SigningKey(${this.fingerprint})`;
  }
}

export interface KeyPairFiles {
  privateKeyPath: string;
  publicKeyPath: string;
  fingerprint: string;
}

/** Where the public key of a private key file lives: `tempered.key` -> `tempered.pub` (as domain/config.ts). */
export function publicKeyPathFor(privateKeyPath: string): string {
  return privateKeyPath.replace(/(\.key)?$/, '.pub');
}

/**
 * Creates a key pair. Refuses to replace an existing private key unless
 * `force`: a replaced key makes every image signed so far unverifiable with
 * the new public key, so it must be a decision, not an accident.
 */
export function initKeys(privateKeyPath: string, options: { force?: boolean; publicKeyPath?: string } = {}): KeyPairFiles {
  const privatePath = path.resolve(privateKeyPath);
  const publicPath = path.resolve(options.publicKeyPath ?? publicKeyPathFor(privatePath));
  if (publicPath === privatePath) throw new SignError('KEY_INVALID', `public and private key paths are the same: ${privatePath}`);
  if (!options.force && fs.existsSync(privatePath)) {
    throw new SignError('KEY_EXISTS', `a signing key already exists at ${privatePath}; pass --force to replace it (images signed with it will no longer verify with the new public key)`);
  }
  ensurePrivateDirectory(path.dirname(privatePath));
  fs.mkdirSync(path.dirname(publicPath), { recursive: true });

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVE });
  const pub = PublicKey.fromKeyObject(publicKey);
  // Written to a 0600 temp file first and moved into place, so the key file is
  // never visible with looser permissions nor half written.
  const tmp = writeTemp(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600);
  try {
    if (options.force) {
      fs.renameSync(tmp, privatePath);
    } else {
      // link() fails if the name exists: no clobbering even if another init raced us.
      try {
        fs.linkSync(tmp, privatePath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SignError('KEY_EXISTS', `a signing key already exists at ${privatePath}`);
        throw err;
      }
      fs.unlinkSync(tmp);
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const tmpPub = writeTemp(publicPath, pub.pem, 0o644);
  fs.renameSync(tmpPub, publicPath);
  return { privateKeyPath: privatePath, publicKeyPath: publicPath, fingerprint: pub.fingerprint };
}

/** Reads the signing key, refusing one that group or others can access. */
export function loadSigningKey(privateKeyPath: string): SigningKey {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(privateKeyPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SignError('KEY_NOT_FOUND', `no signing key at ${privateKeyPath}: create one with \`npx tempered keys init\``);
    }
    throw err;
  }
  if (!stat.isFile()) throw new SignError('KEY_INVALID', `${privateKeyPath} is not a regular file`);
  const mode = stat.mode & 0o777;
  if (mode & 0o077) {
    throw new SignError(
      'KEY_PERMISSIONS',
      `signing key ${privateKeyPath} has mode ${mode.toString(8).padStart(4, '0')}: group or others can access it; run \`chmod 600 ${privateKeyPath}\``,
    );
  }
  const pem = fs.readFileSync(privateKeyPath);
  try {
    // "ENCRYPTED PRIVATE KEY" (PKCS#8) or "Proc-Type: 4,ENCRYPTED": say so, rather than "invalid".
    if (pem.includes('ENCRYPTED')) {
      throw new SignError('KEY_INVALID', `cannot read signing key ${privateKeyPath}: it is encrypted; the worker reads unencrypted PKCS#8 keys`);
    }
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch {
      throw new SignError('KEY_INVALID', `cannot read signing key ${privateKeyPath}: not a PEM private key`);
    }
    try {
      return SigningKey.fromKeyObject(key);
    } catch (err) {
      throw isKeyError(err) ? new SignError(err.code, `${privateKeyPath}: ${err.message}`) : err;
    }
  } finally {
    // Do not leave the key's bytes in a buffer the GC may not reclaim for a while.
    pem.fill(0);
  }
}

export function loadPublicKey(publicKeyPath: string): PublicKey {
  try {
    return PublicKey.fromPem(fs.readFileSync(publicKeyPath));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SignError('KEY_NOT_FOUND', `no public key at ${publicKeyPath}`);
    if (isKeyError(err)) throw new SignError(err.code, `${publicKeyPath}: ${err.message}`);
    throw err;
  }
}

/** `sha256:<hex>` of the DER SubjectPublicKeyInfo of a PEM public key. */
export function publicKeyFingerprint(publicKeyPem: string | Buffer): string {
  return PublicKey.fromPem(publicKeyPem).fingerprint;
}

function assertP256(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== CURVE) {
    throw new SignError('KEY_INVALID', `${what} is ${key.asymmetricKeyType ?? 'unknown'}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}, expected ECDSA P-256`);
  }
}

/** Creates the key directory 0700; an existing directory is left as its owner set it. */
function ensurePrivateDirectory(dir: string): void {
  const created = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask; say it again for the directory we made.
  if (created !== undefined) fs.chmodSync(dir, 0o700);
}

function writeTemp(finalPath: string, content: string | Buffer, mode: number): string {
  const tmp = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(tmp, mode);
  return tmp;
}
