/**
 * `tempered advisory submit --release`: checked before anything connects
 * (the address below would answer "unreachable" if a connection were tried),
 * applied to every advisory of the file that names no release.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../../domain/schema/errors';
import { ExitCode } from '../output';
import { runInProcess } from '../../test/support/inProcessCli';
import { readAdvisories, registerAdvisory, releaseOption } from './advisory';

process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';

const openssl = { id: 'CVE-2099-1300', source: 'openssl', fixedVersion: '3.5.1-1+deb13u1' };

const run = (args: string[]) => runInProcess([registerAdvisory], args);

describe('releaseOption', () => {
  it('takes a release tempered builds', () => {
    expect(releaseOption('trixie')).toBe('trixie');
    expect(releaseOption(' bookworm ')).toBe('bookworm');
    expect(releaseOption(undefined)).toBeUndefined();
  });

  it('names the option and the releases it accepts', () => {
    expect(() => releaseOption('bullseye')).toThrow('--release: "bullseye" is not a Debian release tempered builds (trixie, bookworm)');
    expect(() => releaseOption('13')).toThrow(/^--release: "13" is not/);
  });
});

describe('readAdvisories with a release', () => {
  it('gives every advisory that names no release the --release one', () => {
    const advisories = readAdvisories(JSON.stringify([openssl, { ...openssl, id: 'CVE-2099-1301', release: 'trixie' }]), 'f.json', 'trixie');
    expect(advisories.map((a) => `${a.id} ${a.release}`)).toEqual(['CVE-2099-1300 trixie', 'CVE-2099-1301 trixie']);
  });

  it('leaves advisories about every release without --release', () => {
    expect(readAdvisories(JSON.stringify(openssl), 'f.json')[0]).not.toHaveProperty('release');
  });

  it('refuses an advisory whose own release contradicts --release, naming the item and field', () => {
    const read = () => readAdvisories(JSON.stringify([openssl, { ...openssl, release: 'bookworm' }]), 'f.json', 'trixie');
    expect(read).toThrow(InputError);
    expect(read).toThrow('f.json: [1]: release: "bookworm" contradicts --release trixie');
  });

  it('refuses a release field tempered does not build, naming the field', () => {
    expect(() => readAdvisories(JSON.stringify({ ...openssl, release: 'sid' }), 'f.json')).toThrow(
      'f.json: release: "sid" is not a Debian release tempered builds (trixie, bookworm)',
    );
  });
});

describe('tempered advisory submit', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-advisory-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a bad --release before connecting (exit 2)', async () => {
    const file = path.join(dir, 'a.json');
    fs.writeFileSync(file, JSON.stringify(openssl));
    const r = await run(['advisory', 'submit', file, '--release', 'buster']);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.err).toMatch(/^error: --release: "buster" is not a Debian release tempered builds \(trixie, bookworm\)/);
    expect(r.err).not.toMatch(/not reachable/);
  });

  it('documents --release and what an advisory without a release means', async () => {
    const r = await run(['advisory', 'submit', '--help']);
    expect(r.code).toBe(ExitCode.ok);
    expect(r.out).toMatch(/--release <release>/);
    expect(r.out).toMatch(/An advisory without a release is about every release/);
  });
});
