/**
 * The registry a mirror copies into, with its own credentials from the
 * environment (TEMPERED_MIRROR_USERNAME, TEMPERED_MIRROR_PASSWORD_FILE): a
 * password file, never an argument (shell histories, `ps`, workflow inputs).
 */
import * as fs from 'node:fs';
import { RegistryClient } from '../oci/registry';

export class MirrorConfigError extends Error {
  override readonly name = 'MirrorConfigError';
}

export function mirrorDestination(host: string, env: NodeJS.ProcessEnv = process.env): RegistryClient {
  const username = env.TEMPERED_MIRROR_USERNAME;
  const passwordFile = env.TEMPERED_MIRROR_PASSWORD_FILE;
  if (username && !passwordFile) throw new MirrorConfigError('TEMPERED_MIRROR_USERNAME is set but TEMPERED_MIRROR_PASSWORD_FILE is not');
  let credentials;
  if (username && passwordFile) {
    const password = fs.readFileSync(passwordFile, 'utf8').trim();
    if (!password) throw new MirrorConfigError(`TEMPERED_MIRROR_PASSWORD_FILE ${passwordFile} is empty`);
    credentials = { username, password };
  }
  return new RegistryClient({ host, scheme: /^(127\.|localhost:|\[::1\])/.test(host) ? 'http' : 'https', ...(credentials ? { credentials } : {}) });
}
