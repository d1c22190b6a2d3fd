/**
 * A Temporal client for the CLI, the monitor and scripts. An unreachable
 * server becomes one clear line (TemporalUnreachableError), not a gRPC stack
 * trace.
 */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../domain/config';
import { TemperedError } from '../domain/errors';

export class TemporalUnreachableError extends TemperedError<'TEMPORAL_UNREACHABLE'> {
  constructor(address: string, cause: string) {
    super('TEMPORAL_UNREACHABLE', `Temporal is not reachable at ${address} (${cause}); start it with scripts/up or set TEMPORAL_ADDRESS`);
  }
}

export async function connectClient(config: Pick<Config, 'temporal'>, timeoutMs = 5000): Promise<Client> {
  const { address, namespace } = config.temporal;
  try {
    // connect() asks the server for its system info, so an unreachable server fails here.
    const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    return new Client({ connection, namespace });
  } catch (err) {
    throw new TemporalUnreachableError(address, shortCause(err));
  }
}

function shortCause(err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  if (/ECONNREFUSED|connection refused|UNAVAILABLE|Failed to connect/i.test(message)) return 'connection refused';
  if (/DEADLINE|timed? ?out/i.test(message)) return 'timed out';
  return message.split('\n')[0]?.slice(0, 120) ?? 'unknown error';
}
