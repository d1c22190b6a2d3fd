/**
 * A child process never gets the worker's environment: the registry
 * password and the key path live there, and dpkg's maintainer scripts, tar,
 * gpgv or xz have no business reading them (mmdebstrap's could write them
 * into a dev image). Every child starts from MINIMAL_ENV.
 */
import { exec, MINIMAL_ENV, spawnChild } from './exec';

const SECRETS = { TEMPERED_REGISTRY_PASSWORD: 'pw-do-not-leak-0123', TEMPERED_SIGNING_KEY: '/state/keys/tempered.key', TEMPORAL_ADDRESS: '127.0.0.1:7233' };

beforeAll(() => Object.assign(process.env, SECRETS));
afterAll(() => {
  for (const k of Object.keys(SECRETS)) delete process.env[k];
});

const environmentOf = (text: string) => Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

test('exec gives a child MINIMAL_ENV and what the caller names, nothing of the worker', async () => {
  expect(environmentOf(await exec('/usr/bin/env', []))).toEqual(MINIMAL_ENV);
  expect(environmentOf(await exec('/usr/bin/env', [], { env: { SOURCE_DATE_EPOCH: '1' } }))).toEqual({ ...MINIMAL_ENV, SOURCE_DATE_EPOCH: '1' });
});

test('spawnChild, which every other child process of the library goes through, does the same', async () => {
  const child = spawnChild('/usr/bin/env', [], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  expect(environmentOf(out)).toEqual(MINIMAL_ENV);
  for (const secret of Object.values(SECRETS)) expect(out).not.toContain(secret);
});
