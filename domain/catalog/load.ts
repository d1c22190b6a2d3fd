/**
 * Reads image definitions from the catalog directory. A definition that does
 * not parse, does not validate (schema, then validate.ts), or whose name
 * disagrees with its file name is refused with an InputError naming the
 * file, the field and the problem: every caller (CLI, activities) reads
 * definitions through here, so nothing is built from a refused one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { fieldPath, InputError } from '../schema/errors';
import { type Definition, DefinitionSchema } from './definition';
import { definitionProblems } from './validate';

export function parseYamlFile(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(file, doc.errors.map((e) => ({ field: '', problem: `YAML: ${e.message.split('\n')[0]}` })));
  }
  return doc.toJS();
}

export function readDefinition(file: string): Definition {
  const parsed = DefinitionSchema.safeParse(parseYamlFile(file));
  if (!parsed.success) throw new InputError(file, schemaProblems(parsed.error.issues));
  const definition = parsed.data;
  const expected = path.basename(file).replace(/\.ya?ml$/, '');
  if (definition.name !== expected) {
    throw new InputError(file, [{ field: 'name', problem: `"${definition.name}" must match the file name "${expected}"` }]);
  }
  const problems = definitionProblems(definition);
  if (problems.length > 0) throw new InputError(file, problems);
  return definition;
}

type Problem = { field: string; problem: string };

/**
 * Zod's issues as problems a definition author can act on: an unknown key is
 * named as the field it is (`variants.runtime.entrypiont`), not its parent;
 * a value matching none of a union's shapes (a test) is explained by the
 * shape it came closest to, or by the shapes there are.
 */
function schemaProblems(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const at = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: fieldPath([...at, key]), problem: 'unknown field (a typo, or a field this definition format does not have)' }));
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const fewest = Math.min(...issue.errors.map((branch) => branch.length));
      const closest = issue.errors.filter((branch) => branch.length === fewest);
      if (closest.length === 1 && closest[0]) return schemaProblems(closest[0], at);
      const what = at.includes('tests') ? 'a test needs one of "command", "file" or "metadata"' : 'matches none of the allowed forms';
      return [{ field: fieldPath(at), problem: what }];
    }
    return [{ field: fieldPath(at), problem: issue.message }];
  });
}

/** Definition files of the catalog, sorted by name (customizations live in a sub-directory). */
export function definitionFiles(catalogDir: string): string[] {
  return fs
    .readdirSync(catalogDir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(catalogDir, e.name))
    .sort();
}

export function loadCatalog(catalogDir: string): Definition[] {
  return definitionFiles(catalogDir).map(readDefinition);
}

export function findDefinition(catalogDir: string, name: string): { definition: Definition; file: string } {
  for (const ext of ['.yaml', '.yml']) {
    const file = path.join(catalogDir, name + ext);
    if (fs.existsSync(file)) return { definition: readDefinition(file), file };
  }
  throw new InputError(catalogDir, [{ field: 'name', problem: `no image definition named "${name}" in the catalog` }]);
}

export function lockFileFor(definitionFile: string): string {
  return definitionFile.replace(/\.ya?ml$/, '.lock.json');
}
