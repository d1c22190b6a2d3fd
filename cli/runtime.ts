/** Shared plumbing of CLI commands: configuration, a Temporal client, and error-to-exit-code mapping. */
import type { Client } from '@temporalio/client';
import { connectClient, TemporalUnreachableError } from '../client/connect';
import { type Config, ConfigError, loadConfig } from '../domain/config';
import { InputError } from '../domain/schema/errors';
import { RegistryError } from '../lib/oci/registry';
import { CliError, ExitCode } from './output';

export function config(): Config {
  return loadConfig();
}

export async function withClient<T>(body: (client: Client, config: Config) => Promise<T>): Promise<T> {
  const cfg = config();
  const client = await connectClient(cfg);
  try {
    return await body(client, cfg);
  } finally {
    await client.connection.close();
  }
}

/** One line on stderr, and an exit code that says what kind of failure it was. */
export function reportError(err: unknown): number {
  if (err instanceof TemporalUnreachableError || (err instanceof RegistryError && err.code === 'REGISTRY_UNREACHABLE')) {
    console.error(`error: ${err.message}`);
    return ExitCode.unreachable;
  }
  if (err instanceof InputError || err instanceof ConfigError) {
    console.error(err.message.split('\n').map((l) => `error: ${l}`).join('\n'));
    return ExitCode.usage;
  }
  if (err instanceof CliError) {
    console.error(`error: ${err.message}`);
    return err.exitCode;
  }
  const e = err as { name?: string; message?: string; cause?: { message?: string } };
  // Update validators' refusals and workflow-not-found come back as Temporal errors: keep their reason only.
  if (e?.name === 'WorkflowUpdateFailedError' || e?.name === 'WorkflowNotFoundError') {
    console.error(`error: ${e.cause?.message ?? e.message}`);
    return ExitCode.failed;
  }
  console.error(`error: ${e?.message ?? String(err)}`);
  if (process.env.TEMPERED_DEBUG) console.error(err);
  return ExitCode.failed;
}
