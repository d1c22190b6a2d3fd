/**
 * Reads image definitions from the catalog directory. A definition that does
 * not parse, does not validate (schema, then validate.ts), or whose name
 * disagrees with its file name is refused with an InputError naming the
 * file, the field and the problem: every caller (CLI, activities) reads
 * definitions through here, so nothing is built from a refused one.
 */
import type { Release } from '../debian/releases';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML, { type Alias, type CST, type Document, isAlias, Parser, visit } from 'yaml';
import type { z } from 'zod';
import { ImageNameSchema } from '../image';
import { excerpt, fieldPath, InputError } from '../schema/errors';
import { type Definition, DefinitionSchema } from './definition';
import { definitionProblems } from './validate';

/**
 * Deepest nesting a document may have. A definition nests about six levels
 * (variants.runtime.tests[0].metadata.env); yaml composes nodes recursively,
 * and some ten thousand levels overflow the stack, after which V8 may abort
 * the whole process (a worker, and every worker its retries reach).
 */
const MAX_YAML_DEPTH = 100;
/** Alias expansions allowed (yaml's default, said here): an exponential "billion laughs" document is refused. */
const MAX_YAML_ALIASES = 100;

/** 256 KiB: the catalog's largest definition is under 6 KB. */
const MAX_YAML_BYTES = 256 * 1024;

/**
 * Reads one YAML document as plain data. Everything wrong with the text is an
 * InputError naming the file and, where the text has one, the line: callers
 * turn InputError into a non-retryable failure, any other error is retried as
 * if it were transient.
 */
export function parseYamlFile(file: string): unknown {
  // yaml's duplicate-key check is quadratic in the keys of one mapping (20,000 keys: ~10 s); a definition
  // or customization is a few KB, so a file far bigger than any real one is refused before it is parsed.
  const bytes = fs.statSync(file).size;
  if (bytes > MAX_YAML_BYTES) {
    throw new InputError(file, [{ field: '', problem: `is ${bytes} bytes; a definition may be at most ${MAX_YAML_BYTES} bytes` }]);
  }
  const text = fs.readFileSync(file, 'utf8');
  const tooDeep = deepestOffset(text);
  if (tooDeep !== undefined) {
    throw new InputError(file, [{ field: '', problem: `YAML: nested more than ${MAX_YAML_DEPTH} levels deep${at(text, tooDeep)}` }]);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(file, doc.errors.map((e) => ({ field: '', problem: `YAML: ${e.message.split('\n')[0]}` })));
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    // Aliases are resolved only here (yaml throws ReferenceError): one with no anchor before it, or too many expansions.
    throw new InputError(file, [{ field: '', problem: `YAML: ${aliasProblem(doc, text, err as Error)}` }]);
  }
}

/** ` at line L, column C` of a character offset, the way yaml's own errors say it. */
function at(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return ` at line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
}

/**
 * Where the text nests deeper than MAX_YAML_DEPTH, or undefined. Walks yaml's
 * concrete syntax tree, which its parser builds without recursion, with a
 * stack of its own, so the check itself cannot overflow.
 */
function deepestOffset(text: string): number | undefined {
  const stack: [CST.Token, number][] = Array.from(new Parser().parse(text), (token) => [token, 0]);
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [token, depth] = next;
    if (token.type === 'document' && token.value) stack.push([token.value, depth]);
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth >= MAX_YAML_DEPTH) return token.offset;
    for (const item of token.items) {
      if (item.key) stack.push([item.key, depth + 1]);
      if (item.value) stack.push([item.value, depth + 1]);
    }
  }
  return undefined;
}

function aliasProblem(doc: Document.Parsed, text: string, err: Error): string {
  if (/^Excessive alias count/.test(err.message)) {
    return `aliases expand to more than ${MAX_YAML_ALIASES} nodes (an exponential "billion laughs" document is refused)`;
  }
  // The first alias whose anchor no earlier node sets, found in one pass (Alias.resolve would walk the document per alias).
  const anchors = new Set<string>();
  let unresolved: Alias | undefined;
  visit(doc, {
    Node: (_key, node) => {
      if (!isAlias(node)) {
        if (node.anchor !== undefined) anchors.add(node.anchor);
        return undefined;
      }
      if (anchors.has(node.source)) return undefined;
      unresolved = node;
      return visit.BREAK;
    },
  });
  if (unresolved?.range) return `alias ${excerpt(`*${unresolved.source}`)} has no anchor before it${at(text, unresolved.range[0])}`;
  return err.message;
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
  checkFileName(catalogDir, name, 'an image definition');
  for (const ext of ['.yaml', '.yml']) {
    const file = path.join(catalogDir, name + ext);
    if (fs.existsSync(file)) return { definition: readDefinition(file), file };
  }
  throw new InputError(catalogDir, [{ field: 'name', problem: `no image definition named "${name}" in the catalog` }]);
}

/**
 * Refuses a name that could leave `dir` ("../x", "a/b", an absolute path)
 * before it is joined to it: names come from the CLI and from workflows.
 * A definition's name must match its file name and follow the image name
 * syntax, which has no "/", so no valid name is refused here.
 */
export function checkFileName(dir: string, name: string, what: string): void {
  if (!ImageNameSchema.safeParse(name).success) {
    throw new InputError(dir, [{ field: 'name', problem: `${excerpt(name)} cannot name ${what}: a name is up to 63 lowercase letters, digits, ".", "+" or "-" (no "/"), starting with a letter or digit` }]);
  }
}

/** `catalog/python.yaml` -> `catalog/python.trixie.lock.json`: each release has its own lock. */
export function lockFileFor(definitionFile: string, release: Release): string {
  return definitionFile.replace(/\.ya?ml$/, `.${release}.lock.json`);
}
