/**
 * A deterministic upstream for tests: the machine's real Debian archive plus
 * a local signed apt repository on 127.0.0.1 that a test publishes new
 * package versions into, and a throwaway catalog directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Release } from '../../domain/debian/releases';
import { defaultArchiveSources } from '../../lib/archive/sources';
import { type AptRepo, createAptRepo, type FakePackage } from './aptRepo';

export interface Upstream {
  repo: AptRepo;
  /** TEMPERED_ARCHIVE value: the Debian suites and the local repository. */
  archive: string;
  dir: string;
  close(): Promise<void>;
}

export async function startUpstream(initial: FakePackage[]): Promise<Upstream> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-upstream-'));
  const repo = await createAptRepo({ dir });
  await repo.publish(initial);
  const archive = JSON.stringify([...(await defaultArchiveSources()), { uri: repo.url, suites: [repo.suite], keyring: repo.keyringPath }]);
  return {
    repo,
    archive,
    dir,
    close: async () => {
      await repo.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A catalog directory holding the given definitions (name -> YAML text). */
export function writeCatalog(definitions: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-catalog-'));
  for (const [name, yaml] of Object.entries(definitions)) fs.writeFileSync(path.join(dir, `${name}.yaml`), yaml);
  fs.mkdirSync(path.join(dir, 'customizations'));
  return dir;
}

export const canaryPackage = (version: string): FakePackage => ({
  name: 'tempered-canary',
  version,
  architecture: 'all',
  files: { '/usr/share/tempered-canary/version': `${version}\n` },
});

/**
 * A small test image: base-files, netbase, libc6 and `packages` (from the
 * local repository), non-root at runtime and root in dev, as the variant
 * policy wants; `tests` is the definition's YAML test list. amd64 only: the
 * local repository serves binary-amd64.
 */
export function testImageDefinition(o: { name: string; description: string; packages: string[]; tests?: string; releases?: readonly Release[] }): string {
  return `
name: ${o.name}
description: ${o.description}
architectures: [amd64]
releases: { ${(o.releases ?? ['bookworm']).map((r) => `${r}: {}`).join(', ')} }
packages:
  include: [${['base-files', 'netbase', 'libc6', ...o.packages].join(', ')}]
accounts:
  groups: [{ name: nonroot, gid: 65532 }]
  users: [{ name: nonroot, uid: 65532, gid: 65532, home: /home/nonroot }]
  runAs: nonroot
paths:
  - { path: /tmp, type: directory, mode: "1777" }
${o.tests ? `tests:\n${o.tests}\n` : ''}variants:
  dev:
    accounts: { runAs: root }
`;
}

/** A small runtime image named `name` with one package from the local repository (tempered-canary). */
export function canaryDefinition(name: string, releases?: readonly Release[]): string {
  return testImageDefinition({
    name,
    ...(releases ? { releases } : {}),
    description: 'test image with a package from the local repository',
    packages: ['tempered-canary'],
    tests: '  - name: canary file is present\n    file: /usr/share/tempered-canary/version',
  });
}

/** The canary image: canaryDefinition('canary'). */
export const CANARY_DEFINITION = canaryDefinition('canary');
