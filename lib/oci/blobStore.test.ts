import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobStore } from './blobStore';
import { readImageFiles } from './layerFiles';

describe('digests read from outside never become file paths', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-blobs-'));
  const store = new BlobStore(root);

  it.each(['sha256:../../../../../../etc/hostname', 'sha256:', 'sha512:' + 'a'.repeat(128), '../etc/hostname', 'sha256:' + 'A'.repeat(64)])('refuses %j', (digest) => {
    expect(() => store.pathOf(digest)).toThrow(/is not a sha256 digest/);
  });

  it('refuses a manifest whose layer digest climbs out of the store, without opening anything', async () => {
    const manifest = store.put(JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: 'x', digest: 'sha256:../../../../../../etc/hostname', size: 1 }], config: { digest: 'sha256:' + '0'.repeat(64), size: 1 } }));
    await expect(readImageFiles(store, manifest.digest, () => true)).rejects.toThrow(/is not a sha256 digest/);
  });
});
