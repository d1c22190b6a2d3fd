/**
 * Reads customizations; every problem names the file, the field and what is
 * wrong. Reading checks everything one file and its directory can tell (the
 * schema, source files, certificates, paths tempered manages itself); what
 * needs the base image is checked against it in checks.ts at resolve time,
 * which is still before anything is built.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { checkFileName, parseYamlFile } from '../catalog/load';
import { CA_BUNDLE_PATH } from '../catalog/policy';
import { CustomizationBaseSchema } from './base';
import { ImageNameSchema } from '../image';
import { InputError, parseOrThrow } from '../schema/errors';
import { type Customization, CustomizationSchema } from './schema';
import { caCertificates, checkSource, readSource, SourceProblem } from './sources';

export interface LoadedCustomization {
  customization: Customization;
  file: string;
  /** The customizations directory the file is in. */
  dir: string;
  /** The customization's own directory, `<dir>/<name>/`: its sources come from here and nowhere else. */
  sourceDir: string;
}

/** Files the builder writes itself from accounts, certificates and packages: a customization file there would be overwritten or would corrupt them. */
const MANAGED_PATHS: readonly { path: string; use: string }[] = [
  { path: '/etc/passwd', use: 'accounts.users' },
  { path: '/etc/group', use: 'accounts.groups' },
  { path: '/etc/shadow', use: 'accounts.users' },
  { path: '/etc/gshadow', use: 'accounts.groups' },
  { path: CA_BUNDLE_PATH, use: 'certificates' },
  { path: '/var/lib/dpkg', use: 'packages' },
];

export function readCustomization(file: string): LoadedCustomization {
  const customization = parseOrThrow(CustomizationSchema, parseYamlFile(file), file);
  const expected = path.basename(file).replace(/\.ya?ml$/, '');
  const problems: { field: string; problem: string }[] = [];
  if (customization.name !== expected) problems.push({ field: 'name', problem: `"${customization.name}" must match the file name "${expected}"` });
  const dir = path.dirname(file);
  const sourceDir = path.join(dir, customization.name);
  problems.push(...fileProblems(customization, sourceDir), ...certificateProblems(customization, sourceDir));
  if (problems.length > 0) throw new InputError(file, problems);
  return { customization, file, dir, sourceDir };
}

/** The path tempered manages that `imagePath` is, or is under (checked here as written, and at build time where it lands on the base). */
export function managedPath(imagePath: string): { path: string; use: string } | undefined {
  return MANAGED_PATHS.find((m) => imagePath === m.path || imagePath.startsWith(m.path + '/'));
}

function fileProblems(c: Customization, dir: string): { field: string; problem: string }[] {
  return c.files.flatMap((f, i) => {
    const problems: { field: string; problem: string }[] = [];
    const managed = managedPath(f.path);
    if (managed) problems.push({ field: `files[${i}].path`, problem: `${f.path} is written by tempered; use ${managed.use} instead` });
    if (f.source !== undefined) {
      try {
        checkSource(dir, f.source);
      } catch (err) {
        if (!(err instanceof SourceProblem)) throw err;
        problems.push({ field: `files[${i}].source`, problem: `"${f.source}" ${err.message}` });
      }
    }
    return problems;
  });
}

function certificateProblems(c: Customization, dir: string): { field: string; problem: string }[] {
  return c.certificates.flatMap((cert, i) => {
    const field = `certificates[${i}]${cert.source !== undefined ? '.source' : '.content'}`;
    try {
      caCertificates(cert.content ?? readSource(dir, cert.source ?? '').toString('utf8'));
      return [];
    } catch (err) {
      if (!(err instanceof SourceProblem)) throw err;
      return [{ field, problem: `${cert.source !== undefined ? `"${cert.source}" ` : ''}${err.message}` }];
    }
  });
}

export function customizationFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

export function loadCustomizations(dir: string): LoadedCustomization[] {
  return customizationFiles(dir).map(readCustomization);
}

export function customizationFile(dir: string, name: string): string {
  checkFileName(dir, name, 'a customization');
  for (const ext of ['.yaml', '.yml']) {
    const file = path.join(dir, name + ext);
    if (fs.existsSync(file)) return file;
  }
  throw new InputError(dir, [{ field: 'name', problem: `no customization named "${name}"` }]);
}

export function findCustomization(dir: string, name: string): LoadedCustomization {
  return readCustomization(customizationFile(dir, name));
}

/** The lock beside the customization: `<name>.lock.json`. */
export function customLockFileFor(file: string): string {
  return file.replace(/\.ya?ml$/, '.lock.json');
}

const BaseOnlySchema = z.object({
  name: ImageNameSchema,
  base: CustomizationBaseSchema.loose(),
  tagSuffix: z.string().optional(),
});
export type CustomizationBase = z.infer<typeof BaseOnlySchema>;

/**
 * Just the name and base of every customization that says that much, valid
 * or not. The cascade needs only this: a customization whose other fields
 * are broken must still get its turn, so that its own workflow records the
 * problem and waits for a fix, instead of one bad file stopping the cascade
 * of every other customization.
 */
export function customizationBases(dir: string): { bases: CustomizationBase[]; unreadable: { file: string; problem: string }[] } {
  const bases: CustomizationBase[] = [];
  const unreadable: { file: string; problem: string }[] = [];
  for (const file of customizationFiles(dir)) {
    try {
      bases.push(readBase(file));
    } catch (err) {
      unreadable.push({ file, problem: (err as Error).message.split('\n')[0] ?? 'unreadable' });
    }
  }
  return { bases, unreadable };
}

export function customizationBase(dir: string, name: string): CustomizationBase {
  const file = customizationFile(dir, name);
  try {
    return readBase(file);
  } catch (err) {
    throw new InputError(file, [{ field: 'base', problem: `cannot be read: ${(err as Error).message.split('\n')[0]}` }]);
  }
}

/**
 * By file, size and mtime: every resolve checks its tag against every other
 * customization, so a cascade of twenty would otherwise parse 400 files.
 */
const baseCache = new Map<string, { stamp: string; base: CustomizationBase }>();

function readBase(file: string): CustomizationBase {
  const stat = fs.statSync(file);
  const stamp = `${stat.size}:${stat.mtimeMs}`;
  const cached = baseCache.get(file);
  if (cached?.stamp === stamp) return cached.base;
  const base = parseBase(file);
  baseCache.set(file, { stamp, base });
  return base;
}

function parseBase(file: string): CustomizationBase {
  const parsed = BaseOnlySchema.parse(parseYamlFile(file));
  const expected = path.basename(file).replace(/\.ya?ml$/, '');
  if (parsed.name !== expected) throw new Error(`name "${parsed.name}" must match the file name "${expected}"`);
  return parsed;
}
