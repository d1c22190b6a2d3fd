/**
 * A webhook receiver on loopback for the notification tests: records every
 * request (headers and exact body), and can fail the first N requests
 * (500) or never answer at all.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  /** Requests answered 2xx. */
  accepted(): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startReceiver(behaviour: { failFirst?: number; neverAnswer?: boolean } = {}): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const acceptedAt = new Set<ReceivedRequest>();
  let failures = behaviour.failFirst ?? 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(request);
      if (behaviour.neverAnswer) return;
      if (failures > 0) {
        failures--;
        res.writeHead(500).end('not now');
        return;
      }
      acceptedAt.add(request);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    accepted: () => received.filter((r) => acceptedAt.has(r)),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
