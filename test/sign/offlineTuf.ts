/**
 * A private TUF mirror on 127.0.0.1 serving a trusted root with no
 * authorities (the key is the only trust), built by tools/offline-tuf. With
 * `cosign initialize` pointed at it, cosign v2 verifies sigstore bundles with
 * the exact command users type, offline, as an air-gapped deployment would.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const OFFLINE_TUF_BIN = path.join(process.env.TEMPERED_TOOLS_DIR ?? '/var/cache/tempered', 'offline-tuf', 'offline-tuf');

export interface OfflineTuf {
  url: string;
  rootJson: string;
  close(): Promise<void>;
}

export async function startOfflineTuf(trustedRoot: string): Promise<OfflineTuf> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-tuf-'));
  execFileSync(OFFLINE_TUF_BIN, ['-out', dir, '-trusted-root', trustedRoot]);
  const server = http.createServer((req, res) => {
    const file = path.join(dir, path.normalize(decodeURIComponent((req.url ?? '/').split('?')[0] as string)).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rootJson: path.join(dir, 'root.json'),
    close: async () => {
      await new Promise((r) => server.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
