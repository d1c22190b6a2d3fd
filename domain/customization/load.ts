/** Reads customizations; every problem names the file, the field and what is wrong. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseYamlFile } from '../catalog/load';
import { InputError, parseOrThrow } from '../schema/errors';
import { type Customization, CustomizationSchema } from './schema';

export interface LoadedCustomization {
  customization: Customization;
  file: string;
  dir: string;
}

export function readCustomization(file: string): LoadedCustomization {
  const customization = parseOrThrow(CustomizationSchema, parseYamlFile(file), file);
  const expected = path.basename(file).replace(/\.ya?ml$/, '');
  if (customization.name !== expected) {
    throw new InputError(file, [{ field: 'name', problem: `"${customization.name}" must match the file name "${expected}"` }]);
  }
  return { customization, file, dir: path.dirname(file) };
}

export function loadCustomizations(dir: string): LoadedCustomization[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => readCustomization(path.join(dir, f)));
}

export function findCustomization(dir: string, name: string): LoadedCustomization {
  for (const ext of ['.yaml', '.yml']) {
    const file = path.join(dir, name + ext);
    if (fs.existsSync(file)) return readCustomization(file);
  }
  throw new InputError(dir, [{ field: 'name', problem: `no customization named "${name}"` }]);
}
