import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { initKeys, loadPublicKey, loadSigningKey, publicKeyFingerprint, publicKeyPathFor, SigningKey } from './keys';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-keys-unit-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('initKeys', () => {
  test('writes an unencrypted PKCS#8 P-256 key 0600 in a 0700 directory, and its SPKI public key beside it', () => {
    const files = initKeys(path.join(dir, 'keys', 'tempered.key'));
    expect(files.publicKeyPath).toBe(path.join(dir, 'keys', 'tempered.pub'));
    expect(mode(path.join(dir, 'keys'))).toBe(0o700);
    expect(mode(files.privateKeyPath)).toBe(0o600);
    const privatePem = fs.readFileSync(files.privateKeyPath, 'utf8');
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const publicPem = fs.readFileSync(files.publicKeyPath, 'utf8');
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const key = crypto.createPrivateKey(privatePem);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' })).toBe(publicPem);
    expect(files.fingerprint).toBe(publicKeyFingerprint(publicPem));
    expect(fs.readdirSync(path.join(dir, 'keys')).sort()).toEqual(['tempered.key', 'tempered.pub']);
  });

  test('refuses to replace an existing key unless forced', () => {
    const keyPath = path.join(dir, 'tempered.key');
    const first = initKeys(keyPath);
    expect(() => initKeys(keyPath)).toThrow(expect.objectContaining({ code: 'KEY_EXISTS', message: expect.stringContaining('--force') }));
    expect(publicKeyFingerprint(fs.readFileSync(first.publicKeyPath))).toBe(first.fingerprint);
    const second = initKeys(keyPath, { force: true });
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(loadSigningKey(keyPath).fingerprint).toBe(second.fingerprint);
    expect(mode(keyPath)).toBe(0o600);
  });

  test('derives the public key path as the config does', () => {
    expect(publicKeyPathFor('/s/keys/tempered.key')).toBe('/s/keys/tempered.pub');
    expect(publicKeyPathFor('/s/keys/signing')).toBe('/s/keys/signing.pub');
  });
});

describe('loadSigningKey', () => {
  test.each([0o644, 0o640, 0o604, 0o660])('refuses a key file with mode %o, saying how to fix it', (m) => {
    const { privateKeyPath } = initKeys(path.join(dir, 'tempered.key'));
    fs.chmodSync(privateKeyPath, m);
    expect(() => loadSigningKey(privateKeyPath)).toThrow(
      expect.objectContaining({ code: 'KEY_PERMISSIONS', message: expect.stringContaining(`chmod 600 ${privateKeyPath}`) }),
    );
  });

  test('accepts 0600 and 0400', () => {
    const { privateKeyPath, fingerprint } = initKeys(path.join(dir, 'tempered.key'));
    expect(loadSigningKey(privateKeyPath).fingerprint).toBe(fingerprint);
    fs.chmodSync(privateKeyPath, 0o400);
    expect(loadSigningKey(privateKeyPath).fingerprint).toBe(fingerprint);
  });

  test('names a missing, foreign or unreadable key', () => {
    expect(() => loadSigningKey(path.join(dir, 'none.key'))).toThrow(expect.objectContaining({ code: 'KEY_NOT_FOUND', message: expect.stringContaining('tempered keys init') }));
    const write = (name: string, content: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, content, { mode: 0o600 });
      return p;
    };
    expect(() => loadSigningKey(write('garbage.key', 'not a key'))).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadSigningKey(write('rsa.key', rsa))).toThrow(expect.objectContaining({ code: 'KEY_INVALID', message: expect.stringContaining('expected ECDSA P-256') }));
    const encrypted = crypto
      .generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' })
      .toString();
    expect(() => loadSigningKey(write('enc.key', encrypted))).toThrow(expect.objectContaining({ code: 'KEY_INVALID', message: expect.stringContaining('encrypted') }));
  });
});

describe('SigningKey', () => {
  test('signs ECDSA-SHA256 (DER) that its public key and node verify; signatures are randomized', () => {
    const files = initKeys(path.join(dir, 'tempered.key'));
    const key = loadSigningKey(files.privateKeyPath);
    const data = Buffer.from('payload');
    const a = key.sign(data);
    const b = key.sign(data);
    expect(a.equals(b)).toBe(false);
    expect(key.publicKey.verify(data, a)).toBe(true);
    expect(crypto.verify('sha256', data, fs.readFileSync(files.publicKeyPath, 'utf8'), a)).toBe(true);
    expect(loadPublicKey(files.publicKeyPath).verify(data, b)).toBe(true);
    expect(key.publicKey.verify(Buffer.from('other'), a)).toBe(false);
    expect(key.publicKey.verify(data, Buffer.from('not DER'))).toBe(false);
  });

  test('never reveals the private key: JSON, inspect, strings, own properties, Temporal payloads', () => {
    const files = initKeys(path.join(dir, 'tempered.key'));
    const key = loadSigningKey(files.privateKeyPath);
    const secretDer = crypto.createPrivateKey(fs.readFileSync(files.privateKeyPath)).export({ type: 'pkcs8', format: 'der' });
    const secretScalar = crypto.createPrivateKey(fs.readFileSync(files.privateKeyPath)).export({ format: 'jwk' }).d ?? '';
    const exposures = [
      JSON.stringify(key),
      JSON.stringify({ nested: { key } }),
      inspect(key, { depth: 10, showHidden: true }),
      String(key),
      `${key}`,
      JSON.stringify(Object.entries(key)),
      Buffer.from(defaultPayloadConverter.toPayload({ key })?.data ?? new Uint8Array()).toString(),
    ];
    for (const text of exposures) {
      expect(text).not.toContain(secretDer.toString('base64').slice(40, 80));
      expect(text).not.toContain(secretScalar);
      expect(text).not.toContain('PRIVATE KEY');
    }
    expect(JSON.parse(JSON.stringify(key))).toEqual({ fingerprint: files.fingerprint });
  });

  test('rejects a public key where a private one is needed', () => {
    const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => SigningKey.fromKeyObject(publicKey)).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
  });
});
