import { createHash, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { javaKeyStore, pemCertificates } from './javaKeyStore';

// Any two CA certificates: the machine's bundle has them (tests run on Debian with ca-certificates).
const bundle = pemCertificates(fs.readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8'));
const [first, second] = bundle as [string, string];

/** Reads the store back the way sun.security.provider.JavaKeyStore.engineLoad does. */
function parse(store: Buffer, password: string) {
  let at = 0;
  const u32 = () => ((at += 4), store.readUInt32BE(at - 4));
  const utf = () => {
    const n = store.readUInt16BE(at);
    at += 2 + n;
    return store.subarray(at - n, at).toString('utf8');
  };
  const magic = u32();
  const version = u32();
  const entries = [];
  for (let i = 0, n = u32(); i < n; i++) {
    const tag = u32();
    const alias = utf();
    const date = Number(store.readBigInt64BE(at));
    at += 8;
    const type = utf();
    const length = u32();
    entries.push({ tag, alias, date, type, der: store.subarray(at, (at += length)) });
  }
  const expected = createHash('sha1').update(Buffer.from(password, 'utf16le').swap16()).update('Mighty Aphrodite').update(store.subarray(0, at)).digest();
  return { magic, version, entries, intact: expected.equals(store.subarray(at)) && store.length === at + 20 };
}

test('a JKS store keytool reads: magic, version 2, trusted-certificate entries sorted by alias, keyed digest', () => {
  const store = javaKeyStore([{ alias: 'debian:B.crt', pem: second }, { alias: 'debian:A.crt', pem: first }], 1_700_000_000_000);
  const parsed = parse(store, 'changeit');
  expect(parsed).toMatchObject({ magic: 0xfeedfeed, version: 2, intact: true });
  expect(parsed.entries.map((e) => [e.tag, e.alias, e.date, e.type])).toEqual([
    [2, 'debian:a.crt', 1_700_000_000_000, 'X.509'],
    [2, 'debian:b.crt', 1_700_000_000_000, 'X.509'],
  ]);
  expect(parsed.entries[0]?.der.equals(new X509Certificate(first).raw)).toBe(true);
  expect(parse(store, 'wrong').intact).toBe(false);
});

test('the same certificates give the same bytes, whatever their order', () => {
  const a = javaKeyStore([{ alias: 'x', pem: first }, { alias: 'y', pem: second }], 0);
  const b = javaKeyStore([{ alias: 'y', pem: second }, { alias: 'x', pem: first }], 0);
  expect(a.equals(b)).toBe(true);
});

test('an alias twice (case-insensitively) is refused', () => {
  expect(() => javaKeyStore([{ alias: 'X', pem: first }, { alias: 'x', pem: second }], 0)).toThrow('two certificates under the alias x');
});

test('pemCertificates splits a bundle', () => {
  expect(bundle.length).toBeGreaterThan(100);
  expect(pemCertificates(`${first}${second}`)).toHaveLength(2);
});
