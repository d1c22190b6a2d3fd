/**
 * The documents stages hand each other (locks, build records, reports) live in the registry, so a
 * worker that did not write one, or that lost its state directory, still finds it; and what comes
 * back is what was written, or an error naming it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256Digest } from '../../domain/digest';
import { lockDigest } from '../../domain/lock';
import { MediaType } from '../../domain/oci/mediaTypes';
import { ImageRecords } from '../../lib/catalog/imageRecords';
import { LockStore } from '../../lib/locks/lockStore';
import { EMPTY_CONFIG, EMPTY_CONFIG_DESCRIPTOR } from '../../lib/oci/artifacts';
import { RegistryClient } from '../../lib/oci/registry';
import { DOCUMENT_KINDS, type DocumentKind, documentMediaType, documentTag, SharedDocuments } from '../../lib/state/sharedDocuments';
import { EXAMPLE_LOCK } from '../support/exampleLock';
import { startRegistry, type TestRegistry } from '../support/registry';

const lock = EXAMPLE_LOCK;

let registry: TestRegistry;
let client: RegistryClient;
const dirs: string[] = [];
beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient({ host: registry.host, scheme: 'http' });
});
afterAll(async () => {
  await registry.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A worker's view: its own cache directory, the shared registry. */
function worker(): { documents: SharedDocuments; cache: string } {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-documents-'));
  dirs.push(cache);
  const cacheDirs = Object.fromEntries(DOCUMENT_KINDS.map((k) => [k, path.join(cache, k)])) as Record<DocumentKind, string>;
  return { documents: new SharedDocuments(client, 'tempered/state', cacheDirs), cache };
}

test('a lock saved by one worker is loaded by another, and again after its cache is deleted', async () => {
  const a = worker();
  const b = worker();
  const digest = await new LockStore(a.documents).save(lock);
  expect(digest).toBe(lockDigest(lock));
  expect(await client.resolve('tempered/state', documentTag('lock', digest))).toMatch(/^sha256:/);
  expect(await new LockStore(b.documents).load(digest)).toEqual(lock);
  fs.rmSync(b.cache, { recursive: true, force: true });
  expect(fs.existsSync(b.cache)).toBe(false);
  expect(await new LockStore(b.documents).findCurrent(digest)).toEqual(lock);
  expect(await new LockStore(b.documents).find(`sha256:${'d'.repeat(64)}`)).toBeUndefined();
});

test('a build record travels by the image digest; a record that names another digest is refused', async () => {
  const a = worker();
  const digest = `sha256:${'e'.repeat(64)}`;
  const record = { image: { kind: 'catalog', name: 'base', release: 'trixie', variant: 'runtime' }, digest, lockDigest: lockDigest(lock), repository: 'tempered/base', tag: 'trixie', builtAt: new Date().toISOString() } as Parameters<ImageRecords['write']>[0];
  await new ImageRecords(a.documents).write(record);
  expect(await new ImageRecords(worker().documents).read(digest)).toEqual(record);
  const other = `sha256:${'f'.repeat(64)}`;
  await a.documents.put('build', other, JSON.stringify(record));
  await expect(new ImageRecords(worker().documents).read(other)).rejects.toThrow(`the build record of ${other} names ${digest}`);
  await expect(new ImageRecords(worker().documents).read(`sha256:${'0'.repeat(64)}`)).rejects.toThrow(/no build record for sha256:0{64}/);
});

test('a build record rewritten by a later build of the same digest is what every worker reads, even one that read the first', async () => {
  const builder = worker();
  const tester = worker();
  const digest = `sha256:${'9'.repeat(64)}`;
  const first = { image: { kind: 'catalog', name: 'base', release: 'trixie', variant: 'runtime' }, digest, lockDigest: lockDigest(lock), repository: 'tempered/base', tag: 'trixie', builtAt: '2026-01-01T00:00:00.000Z' } as Parameters<ImageRecords['write']>[0];
  await new ImageRecords(builder.documents).write(first);
  expect(await new ImageRecords(tester.documents).read(digest)).toEqual(first);
  // A test of the definition fixed and retried: the same image, another spec.
  const second = { ...first, builtAt: '2026-01-02T00:00:00.000Z', spec: { tests: ['fixed'] } } as unknown as typeof first;
  await new ImageRecords(builder.documents).write(second);
  expect(await new ImageRecords(tester.documents).read(digest)).toEqual(second);
});

test('what comes back is what was written: an altered lock or report is an error naming it', async () => {
  const a = worker();
  const report = JSON.stringify({ results: { tests: [] } });
  const reportDigest = await a.documents.putContent('test-report', report);
  expect((await worker().documents.getContent('test-report', reportDigest)).toString()).toBe(report);

  // Someone with push rights re-tags the report's key at other content, and a lock's key at another lock.
  const forged = Buffer.from(JSON.stringify({ results: { tests: [{ name: 'forged', status: 'passed' }] } }));
  await retag(a.documents, 'test-report', reportDigest, forged);
  await expect(worker().documents.getContent('test-report', reportDigest)).rejects.toThrow(`test-report ${reportDigest} does not match its digest`);
  const digest = lockDigest(lock);
  await retag(a.documents, 'lock', digest, Buffer.from(JSON.stringify({ ...lock, image: 'forged' })));
  await expect(new LockStore(worker().documents).load(digest)).rejects.toThrow(`lock ${digest} does not match its digest`);
});

/** Points `<kind>-<hex>` at other bytes, as the put does (blob, empty config, manifest). */
async function retag(documents: SharedDocuments, kind: DocumentKind, key: string, body: Buffer): Promise<void> {
  const layer = { mediaType: documentMediaType(kind), digest: sha256Digest(body), size: body.length };
  await client.pushBlob(documents.repository, layer.digest, body);
  await client.pushBlob(documents.repository, EMPTY_CONFIG_DESCRIPTOR.digest, EMPTY_CONFIG);
  await client.putManifest(documents.repository, documentTag(kind, key), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: EMPTY_CONFIG_DESCRIPTOR, layers: [layer] }), MediaType.ociManifest);
}
