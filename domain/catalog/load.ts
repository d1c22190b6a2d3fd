/**
 * Reads image definitions from the catalog directory. A definition that does
 * not parse, does not validate, or whose name disagrees with its file name is
 * refused with an InputError naming the file, the field and the problem.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { InputError, parseOrThrow } from '../schema/errors';
import { type Definition, DefinitionSchema } from './definition';

export function parseYamlFile(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(file, doc.errors.map((e) => ({ field: '', problem: `YAML: ${e.message.split('\n')[0]}` })));
  }
  return doc.toJS();
}

export function readDefinition(file: string): Definition {
  const definition = parseOrThrow(DefinitionSchema, parseYamlFile(file), file);
  const expected = path.basename(file).replace(/\.ya?ml$/, '');
  if (definition.name !== expected) {
    throw new InputError(file, [{ field: 'name', problem: `"${definition.name}" must match the file name "${expected}"` }]);
  }
  return definition;
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
