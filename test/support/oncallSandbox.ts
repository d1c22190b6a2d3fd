/**
 * A throwaway tempered stack for practising on-call, and for capturing the
 * walk-through in docs/ONCALL.md: a Temporal dev server with its UI, a
 * registry, the compiled workers (real builds on the machine's dockerd), and
 * a signed apt repository on 127.0.0.1 whose `tempered-canary` package you
 * can move forward or break. Nothing of scripts/up's stack is touched: every
 * port is free-picked, every file is under DIR.
 *
 *   npx tsx test/support/oncallSandbox.ts [DIR]     # prints `source DIR/env` and the control address
 *   set -a; . DIR/env; set +a                      # then: node dist/cli/main.js up, status, ...
 *   curl -X POST "$SANDBOX/publish?version=1.0-2&broken=1"   # upstream ships a canary that moved its file
 *   curl -X POST "$SANDBOX/registry/stop"  |  "$SANDBOX/registry/start"
 *
 * Ctrl-C (or SIGTERM) stops everything it started.
 */
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { initKeys } from '../../lib/signing/keys';
import { parseConfig } from '../../domain/config';
import { cliEnv } from './cli';
import { startRegistry } from './registry';
import { SHARED_CACHE } from './stack';
import { startTemporal } from './temporal';
import { canaryPackage, startUpstream, testImageDefinition, writeCatalog } from './upstream';
import { startWorkerProcess } from './workerProcess';

/** The canary image: the package's version file must be where the image's users read it. */
const CANARY = testImageDefinition({
  name: 'canary',
  description: 'sandbox image with a package from the local repository',
  packages: ['tempered-canary'],
  tests: '  - name: the canary version file is where users read it\n    file: /usr/share/tempered-canary/version',
});

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-sandbox-')));
  fs.mkdirSync(dir, { recursive: true });
  const temporal = await startTemporal({ ui: true, dbFile: path.join(dir, 'temporal.db') });
  const registry = await startRegistry();
  const upstream = await startUpstream([canaryPackage('1.0-1')]);
  const catalog = writeCatalog({ canary: CANARY });
  const config = parseConfig({
    TEMPORAL_ADDRESS: temporal.address,
    TEMPERED_REGISTRY: registry.host,
    TEMPERED_STATE_DIR: path.join(dir, 'state'),
    TEMPERED_CATALOG_DIR: catalog,
    TEMPERED_ARCHIVE: upstream.archive,
    TEMPERED_DEB_CACHE: path.join(SHARED_CACHE, 'debs'),
    TEMPERED_ARCHIVE_CACHE: path.join(SHARED_CACHE, 'archive'),
  });
  initKeys(config.signingKeyPath);
  const workers = await startWorkerProcess(config, path.join(config.stateDir, 'logs', 'workers.log'));

  const control = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const reply = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/plain' }).end(`${text}\n`);
    void (async () => {
      if (req.method !== 'POST') return reply(405, 'POST only');
      if (url.pathname === '/publish') {
        const version = url.searchParams.get('version') ?? '';
        if (!/^[0-9][0-9A-Za-z.+~-]*$/.test(version)) return reply(400, 'version=<Debian version>');
        // "broken": upstream moved the file the image's test (and its users) rely on.
        const pkg = url.searchParams.has('broken')
          ? { ...canaryPackage(version), files: { '/usr/share/doc/tempered-canary/VERSION': `${version}\n` } }
          : canaryPackage(version);
        await upstream.repo.publish([pkg]);
        return reply(200, `published tempered-canary ${version}${url.searchParams.has('broken') ? ' (broken)' : ''}`);
      }
      if (url.pathname === '/registry/stop') return (await registry.pause(), reply(200, `registry ${registry.host} stopped`));
      if (url.pathname === '/registry/start') return (await registry.start(), reply(200, `registry ${registry.host} started`));
      return reply(404, 'POST /publish?version=V[&broken=1], /registry/stop, /registry/start');
    })().catch((err: Error) => reply(500, err.message));
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
  const sandbox = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

  const env = { ...cliEnv(config), TEMPORAL_UI: temporal.uiUrl ?? '', SANDBOX: sandbox };
  fs.writeFileSync(path.join(dir, 'env'), Object.entries(env).map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`).join('\n') + '\n');
  console.log(`sandbox ready: set -a; . ${path.join(dir, 'env')}; set +a`);
  console.log(`Temporal ${temporal.address}, UI ${temporal.uiUrl}, registry ${registry.host}, archive ${upstream.repo.url}, control ${sandbox}`);
  console.log(`worker log: ${workers.log}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    control.close();
    await workers.kill('SIGTERM');
    await Promise.all([temporal.stop(), registry.stop(), upstream.close()]);
    fs.rmSync(catalog, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
