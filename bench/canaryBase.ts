/**
 * The real `base` definition with the canary package of the local signed
 * repository added, for the benches that patch it. amd64 only: the local
 * repository serves binary-amd64, and base itself is built for both.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findDefinition } from '../domain/catalog/load';

export function canaryBaseDefinition(repoRoot: string): string {
  const { file } = findDefinition(path.join(repoRoot, 'catalog'), 'base');
  return fs.readFileSync(file, 'utf8')
    .replace(/include: \[([^\]]*)\]/, 'include: [$1, tempered-canary]')
    .replace(/^name: base$/m, 'name: base\narchitectures: [amd64]');
}
