/**
 * Small catalogs for cascade tests: a `base` image whose one local package
 * (tempered-canary) an advisory can patch, an `other` image nothing patches,
 * and customizations written into the catalog's customizations directory.
 * Everything is tiny, so a test stays about orchestration, not about bytes.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { readLegacyImage } from '../../lib/signing/cosignLegacy';
import { parseEnvelope } from '../../lib/signing/dsse';
import { attestationTag } from '../../lib/oci/artifacts';
import type { RegistryClient } from '../../lib/oci/registry';
import { PredicateType } from '../../domain/attest/predicateTypes';
import type { SlsaProvenanceV1 } from '../../domain/attest/provenance';
import type { FakePackage } from './aptRepo';
import { completedActivities } from './history';
import { testImageDefinition } from './upstream';

/** A tiny image for customizations to sit on; `tempered-canary` (local repository) is what an advisory patches. */
export const BASE_DEFINITION = testImageDefinition({
  name: 'base',
  description: 'test base with a package from the local repository',
  packages: ['tempered-canary'],
  tests: '  - name: canary file is present\n    file: /usr/share/tempered-canary/version',
});

export const OTHER_DEFINITION = testImageDefinition({ name: 'other', description: 'an image nothing in these tests patches', packages: [] });

/** An extra package from the local repository that depends on the base's own package. */
export const extraPackage = (version: string): FakePackage => ({
  name: 'tempered-extra',
  version,
  architecture: 'all',
  depends: 'tempered-canary (>= 1.0)',
  files: { '/usr/share/tempered-extra/hello': `extra ${version}\n` },
});

/** A customization with a file and an environment variable: the cheapest thing a cascade can rebuild. */
export const simpleCustomization = (name: string, base = 'base', extra = ''): string => `
name: ${name}
description: ${name}, a configuration file on ${base}
base: { image: ${base}, variant: runtime }
tagSuffix: ${name}
files:
  - { path: /etc/${name}/config.toml, content: "name = \\"${name}\\"\\n", mode: "0640", uid: nonroot, gid: nonroot }
environment: { APP_NAME: ${name} }
labels: { com.example.app: ${name} }
tests:
  - name: the configuration is in place
    file: /etc/${name}/config.toml
    contains: ${name}
${extra}`;

export function writeCustomization(catalogDir: string, name: string, yaml: string): string {
  const file = path.join(catalogDir, 'customizations', `${name}.yaml`);
  fs.writeFileSync(file, yaml);
  return file;
}

/** A throwaway CA certificate (EC P-256, CA:TRUE), PEM: its key is thrown away at once. */
export function throwawayCa(commonName: string): string {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'tempered-ca-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'ca.pem'), '-subj', `/CN=${commonName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ], { stdio: 'ignore' });
    return fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The SLSA provenance attached to an image (cosign legacy `.att` layout), as signed. */
export async function provenanceOf(registry: RegistryClient, repository: string, digest: string): Promise<SlsaProvenanceV1> {
  const att = await readLegacyImage(registry, repository, attestationTag(digest));
  for (const layer of att.layers) {
    if (!layer.blob) continue;
    const statement = JSON.parse(parseEnvelope(layer.blob).payload.toString('utf8')) as { predicateType: string; predicate: unknown };
    if (statement.predicateType === PredicateType.slsaProvenance1) return statement.predicate as SlsaProvenanceV1;
  }
  throw new Error(`no SLSA provenance attached to ${repository}@${digest}`);
}

/** Completed buildImage activities per workflow id, over every run. */
export async function buildCounts(client: Client, workflowIds: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const id of workflowIds) counts[id] = (await completedActivities(client, id)).buildImage ?? 0;
  return counts;
}
