/**
 * Loopback proxies that let a fault test break the network at an exact point
 * instead of racing a real process:
 *
 *  - startTcpProxy: a plain TCP forwarder whose port can be closed and
 *    reopened, e.g. a Debian mirror that goes away (connection refused, as a
 *    dead host's closed port) and comes back on the same address.
 *  - startRegistryTap: an HTTP reverse proxy in front of the test registry
 *    that forwards everything, and can "trip" on one chosen request: hold it
 *    before it reaches the registry, or let the registry apply it and then
 *    withhold the answer. The second is the crash window idempotency is
 *    about: the registry has the write, the worker never learns it did.
 */
import * as http from 'node:http';
import * as net from 'node:net';

export interface TcpProxy {
  /** `127.0.0.1:<port>`: stable across down()/up(). */
  host: string;
  port: number;
  /** Closes the port (new connections are refused) and cuts every open connection. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, options: { startDown?: boolean } = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  // Reserve a port first, so a proxy that starts down still has its address.
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
  const down = async () => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  const up = async () => {
    if (server.listening) return;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  };
  if (options.startDown) await down();
  return { host: `127.0.0.1:${port}`, port, down, up, close: down };
}

export interface TripRule {
  method: string;
  /** Matched against the request path (without the query). */
  path: RegExp;
  /**
   * `before`: hold the request; the registry has not seen it.
   * `after`: forward it, let the registry answer, hold the answer.
   */
  when: 'before' | 'after';
}

export interface Tripped {
  method: string;
  path: string;
  /** The registry's status code (`after` trips only). */
  status?: number;
  /** Ends the held exchange by cutting the client's connection (a registry or network that went away). */
  cut(): void;
}

export interface RegistryTap {
  /** `127.0.0.1:<port>`: give this to the worker as TEMPERED_REGISTRY. */
  host: string;
  /** Arms one trip; resolves when a matching request has been held. Later requests pass. */
  trip(rule: TripRule): Promise<Tripped>;
  /** Every request seen, as `METHOD /path -> status` (`-> held`, `-> unreachable`). */
  log: string[];
  close(): Promise<void>;
}

export async function startRegistryTap(registryHost: string): Promise<RegistryTap> {
  const [targetHost, targetPort] = registryHost.split(':') as [string, string];
  const log: string[] = [];
  let armed: { rule: TripRule; resolve: (t: Tripped) => void } | undefined;
  const sockets = new Set<net.Socket>();

  const matches = (req: http.IncomingMessage) => {
    const rule = armed?.rule;
    return !!rule && req.method === rule.method && rule.path.test((req.url ?? '').split('?')[0] ?? '');
  };
  const takeTrip = () => {
    const trip = armed;
    armed = undefined;
    return trip;
  };

  const server = http.createServer((req, res) => {
    const line = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    const cut = () => req.socket.destroy();
    const trip = matches(req) ? takeTrip() : undefined;
    if (trip?.rule.when === 'before') {
      log.push(`${line} -> held`);
      req.resume();
      trip.resolve({ method: req.method ?? '', path: line, cut });
      return;
    }
    const upstream = http.request(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        log.push(`${line} -> ${answer.statusCode}${trip ? ' (answer held)' : ''}`);
        if (trip) {
          // The registry applied the request; read its answer and never pass it on.
          answer.resume();
          answer.on('end', () => trip.resolve({ method: req.method ?? '', path: line, status: answer.statusCode, cut }));
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // The registry is down: to the client this looks like the registry's own port refusing, not an HTTP answer.
    upstream.on('error', () => {
      log.push(`${line} -> unreachable`);
      cut();
    });
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 60_000;
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
  return {
    host: `127.0.0.1:${port}`,
    log,
    trip: (rule) =>
      new Promise<Tripped>((resolve) => {
        armed = { rule, resolve };
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
