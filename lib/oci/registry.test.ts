/**
 * Where the registry client sends credentials: on a 401 with a Bearer
 * challenge it asks the token realm, and a realm is whatever URL the
 * response names. A registry (or anyone in between) naming another host, or
 * a plain-http realm off loopback, must get no credentials and no request.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient, RegistryError } from './registry';

const CREDENTIALS = { username: 'tempered-publisher', password: 'pw-secret-123' };

interface Recorder {
  server: Server;
  url: string;
  requests: { url: string; authorization?: string }[];
}

async function serve(host: string, handler: (req: IncomingMessage) => { status: number; headers?: Record<string, string>; body?: string }): Promise<Recorder> {
  const requests: Recorder['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const r = handler(req);
    res.writeHead(r.status, r.headers).end(r.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}`, requests };
}

const close = (r: Recorder) => new Promise((resolve) => r.server.close(resolve));

test('a token realm on another host than the registry gets neither credentials nor a request', async () => {
  const tokens = await serve('127.0.0.2', () => ({ status: 200, body: JSON.stringify({ token: 'stolen' }) }));
  const registry = await serve('127.0.0.1', () => ({ status: 401, headers: { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="evil"` } }));
  try {
    const client = new RegistryClient({ host: new URL(registry.url).host, scheme: 'http', credentials: CREDENTIALS });
    const failure = await client.ping().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(RegistryError);
    expect((failure as RegistryError).message).toContain(`refusing the token realm ${tokens.url}: it is not the registry ${new URL(registry.url).host}`);
    expect(tokens.requests).toEqual([]);
  } finally {
    await Promise.all([close(tokens), close(registry)]);
  }
});

test('credentials never go over plain http to a host off loopback, even the configured token host', async () => {
  const registry = await serve('127.0.0.1', () => ({ status: 401, headers: { 'www-authenticate': 'Bearer realm="http://tokens.example.invalid/token"' } }));
  try {
    const client = new RegistryClient({ host: new URL(registry.url).host, scheme: 'http', credentials: CREDENTIALS, tokenHosts: ['tokens.example.invalid'] });
    const failure = (await client.ping().catch((err: unknown) => err)) as RegistryError;
    expect(failure.message).toContain('never sends credentials over plain http to tokens.example.invalid');
  } finally {
    await close(registry);
  }
});

test('the registry itself, or an explicitly configured token host, may issue tokens', async () => {
  let registryUrl = '';
  const registry = await serve('127.0.0.1', (req) => {
    if (req.url?.startsWith('/token')) return { status: 200, body: JSON.stringify({ token: 'good' }) };
    if (req.headers.authorization === 'Bearer good') return { status: 200, body: '{}' };
    return { status: 401, headers: { 'www-authenticate': `Bearer realm="${registryUrl}/token",service="registry"` } };
  });
  registryUrl = registry.url;
  try {
    await new RegistryClient({ host: new URL(registry.url).host, scheme: 'http', credentials: CREDENTIALS }).ping();
    const tokenRequest = registry.requests.find((r) => r.url.startsWith('/token'));
    expect(tokenRequest?.authorization).toBe(`Basic ${Buffer.from('tempered-publisher:pw-secret-123').toString('base64')}`);
  } finally {
    await close(registry);
  }
});
