/**
 * The resolve activity against a real signed repository on 127.0.0.1
 * (test/support/aptRepo.ts): a definition naming a package the archive does
 * not have, or whose dependencies the archive cannot satisfy, is refused as
 * a non-retryable InvalidDefinition naming the definition file, the field
 * and the package, and no lock is written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import YAML from 'yaml';
import { createAptRepo, type AptRepo, type FakePackage } from '../test/support/aptRepo';
import { parseConfig } from '../domain/config';
import { createContext } from '../lib/context';
import { resolveActivity } from './resolve';
import { ErrorType } from './types';

jest.setTimeout(60_000);

const pkg = (name: string, depends?: string): FakePackage => ({ name, version: '1.0-1', architecture: 'amd64', ...(depends ? { depends } : {}) });

let work: string;
let repo: AptRepo;
let catalogDir: string;
let resolveLock: ReturnType<typeof resolveActivity>;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-resolve-test-'));
  repo = await createAptRepo({ dir: path.join(work, 'repo') });
  // What every dev variant needs (policy), a package, and one whose dependency the archive lacks.
  await repo.publish([pkg('apt'), pkg('ca-certificates'), pkg('mawk'), pkg('usr-is-merged'), pkg('hello'), pkg('broken', 'libmissing1 (>= 2)')]);
  catalogDir = path.join(work, 'catalog');
  fs.mkdirSync(catalogDir);
  const config = parseConfig({
    TEMPERED_STATE_DIR: path.join(work, 'state'),
    TEMPERED_CATALOG_DIR: catalogDir,
    TEMPERED_ARCHIVE: JSON.stringify([{ uri: repo.url, suites: [repo.suite], keyring: repo.keyringPath }]),
    TEMPERED_ARCHIVE_CACHE: path.join(work, 'archive-cache'),
    TEMPERED_DEB_CACHE: path.join(work, 'debs'),
  });
  resolveLock = resolveActivity(createContext(config, 'local'));
});
afterAll(async () => {
  await repo?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function define(name: string, include: string[], devInclude: string[] = []): string {
  const file = path.join(catalogDir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    YAML.stringify({
      name,
      description: `test image ${name}`,
      architectures: ['amd64'], // the local repository serves binary-amd64 only
      packages: { include },
      accounts: { groups: [{ name: 'nonroot', gid: 65532 }], users: [{ name: 'nonroot', uid: 65532, gid: 65532 }], runAs: 'nonroot' },
      variants: { dev: { accounts: { runAs: 'root' }, ...(devInclude.length ? { packages: { include: devInclude } } : {}) } },
    }),
  );
  return file;
}

async function failureOf(name: string): Promise<ApplicationFailure> {
  const attempt = resolveLock({ image: { kind: 'catalog', name, release: 'bookworm', variant: 'runtime' }, mode: 'latest', sources: [] });
  await expect(attempt).rejects.toBeInstanceOf(ApplicationFailure);
  return attempt.catch((err: ApplicationFailure) => err) as Promise<ApplicationFailure>;
}

test('a definition the archive can satisfy gets a lock beside it', async () => {
  const file = define('good', ['hello']);
  const result = await resolveLock({ image: { kind: 'catalog', name: 'good', release: 'bookworm', variant: 'runtime' }, mode: 'latest', sources: [] });
  expect(result.packageCount).toBe(1);
  expect(fs.existsSync(file.replace(/\.yaml$/, '.bookworm.lock.json'))).toBe(true);
});

test('unknown packages (top level and in a variant) are all named, with file and field, as InvalidDefinition', async () => {
  const file = define('typo', ['hello', 'helo'], ['no-such-tool']);
  const failure = await failureOf('typo');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.type).toBe(ErrorType.invalidDefinition);
  expect(failure.message.split('\n')).toEqual([
    `${file}: packages.include[1]: no package or provider named "helo" in ${repo.suite}`,
    `${file}: variants.dev.packages.include[0]: no package or provider named "no-such-tool" in ${repo.suite}`,
  ]);
  expect(fs.existsSync(file.replace(/\.yaml$/, '.lock.json'))).toBe(false);
});

test("the resolver's UNKNOWN_PACKAGE for a missing dependency is InvalidDefinition naming the package", async () => {
  const file = define('broken', ['broken']);
  const failure = await failureOf('broken');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.type).toBe(ErrorType.invalidDefinition);
  expect(failure.message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}: packages: cannot be resolved \\(UNKNOWN_PACKAGE\\): .*libmissing1`));
});

test('a definition that does not validate is refused before the archive is read', async () => {
  const file = path.join(catalogDir, 'bad.yaml');
  fs.writeFileSync(file, YAML.stringify({ name: 'bad', description: 'x', packages: { include: ['hello'] }, paths: [{ path: 'tmp', type: 'directory' }] }));
  const failure = await failureOf('bad');
  expect(failure.type).toBe(ErrorType.invalidDefinition);
  expect(failure.message).toContain(`${file}: paths[0].path: must be an absolute path`);
});
