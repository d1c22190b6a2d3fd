/** A free TCP port on loopback, and waiting for something to answer on one. */
import * as net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

export const httpOk = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;

const portFree = (port: number) => new Promise<boolean>((resolve) => {
  const server = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
});

/**
 * A frontend port for the cluster shape (scripts/cluster) whose neighbours are free too: history +1,
 * matching +2, worker +6, HTTP +10, and the membership ports 300 below each (deploy/temporal/config.yaml).
 * Temporal keeps membership ports in a PostgreSQL smallint, so they stay below 32768.
 */
export async function clusterFrontendPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const all = [0, 1, 2, 6, 10, -300, -299, -298, -294].map((d) => port + d);
    if ((await Promise.all(all.map(portFree))).every(Boolean)) return port;
  }
}
