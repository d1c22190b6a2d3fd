/**
 * The unprivileged account sandboxed work runs as (`tempered-sandbox`,
 * created by scripts/lib/sandbox.sh with a subordinate id range for
 * mmdebstrap's user namespace). Root on the host never runs image code.
 */
import * as fs from 'node:fs';
import { TemperedError } from '../../domain/errors';

export interface SandboxAccount {
  name: string;
  uid: number;
  gid: number;
}

export class SandboxUnavailableError extends TemperedError<'SANDBOX_UNAVAILABLE'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SANDBOX_UNAVAILABLE', message, options);
  }
}

const cache = new Map<string, SandboxAccount>();

export function sandboxAccount(name: string, passwdFile = '/etc/passwd'): SandboxAccount {
  const known = cache.get(name);
  if (known) return known;
  const line = fs.readFileSync(passwdFile, 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!line || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) {
    throw new SandboxUnavailableError(`the sandbox account ${name} does not exist: scripts/up and scripts/test create it (or set TEMPERED_SANDBOX_USER to an unprivileged account with a subuid range)`);
  }
  if (Number(uid) === 0) throw new SandboxUnavailableError(`the sandbox account ${name} is root: it must be an unprivileged account`);
  const account = { name, uid: Number(uid), gid: Number(gid) };
  cache.set(name, account);
  return account;
}
