/** Shared plumbing of CLI commands: configuration, a Temporal client, and error-to-exit-code mapping. */
import type { Client } from '@temporalio/client';
import type { Config } from '../domain/config';
import { InputError } from '../domain/schema/errors';
import { CliError, ExitCode } from './output';

export function config(): Config {
  const { loadConfig } = require('../domain/config') as typeof import('../domain/config');
  return loadConfig();
}

export async function withClient<T>(body: (client: Client, config: Config) => Promise<T>): Promise<T> {
  const cfg = config();
  // Loaded here, not at start: gRPC and protobuf are most of what `tempered --help` would otherwise load.
  const { connectClient } = require('../client/connect') as typeof import('../client/connect');
  const client = await connectClient(cfg);
  try {
    return await body(client, cfg);
  } finally {
    await client.connection.close();
  }
}

/** One line on stderr, and an exit code that says what kind of failure it was. */
export function reportError(err: unknown): number {
  const e = err as { name?: string; code?: string; message?: string; cause?: { message?: string } };
  // By name: the classes live in modules a failed command may never have loaded.
  if (e?.name === 'TemporalUnreachableError' || (e?.name === 'RegistryError' && e.code === 'REGISTRY_UNREACHABLE')) {
    console.error(`error: ${e.message}`);
    return ExitCode.unreachable;
  }
  if (err instanceof InputError || e?.name === 'ConfigError') {
    console.error((e.message ?? '').split('\n').map((l) => `error: ${l}`).join('\n'));
    return ExitCode.usage;
  }
  if (err instanceof CliError) {
    console.error(`error: ${err.message}`);
    return err.exitCode;
  }
  // Update validators' refusals and workflow-not-found come back as Temporal errors: keep their reason only.
  if (e?.name === 'WorkflowUpdateFailedError' || e?.name === 'WorkflowNotFoundError') {
    console.error(`error: ${e.cause?.message ?? e.message}`);
    return ExitCode.failed;
  }
  console.error(`error: ${e?.message ?? String(err)}`);
  if (process.env.TEMPERED_DEBUG) console.error(err);
  return ExitCode.failed;
}
