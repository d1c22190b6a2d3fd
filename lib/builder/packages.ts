/**
 * The packages of a build, read from their verified .deb files in the deb
 * cache: each one's control fields and the metadata of every data.tar entry
 * (its manifest), without the bytes. A manifest is a function of the .deb's
 * sha256, so it is kept by digest, in memory and on disk, and a rebuild
 * after a one-package patch reads only the changed package in full. Bytes
 * are read when a layer that holds them is written (contents()).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseStanzas, type Stanza, field } from '../../domain/debian/control';
import { parseRelations, type Relation } from '../../domain/debian/relations';
import type { LockedPackage } from '../../domain/lock';
import type { RawEntry } from '../../domain/rootfs/rawEntry';
import { type DebControl, readDebControl, readDebData, readDebFile } from '../deb/archive';
import { writeFileAtomicSync } from '../state/files';

export interface BuildPackage {
  locked: LockedPackage;
  /** The verified .deb in the deb cache. */
  file: string;
  control: DebControl;
  fields: Stanza;
  replaces: Relation[];
  entries: RawEntry[];
}

interface Manifest {
  version: typeof MANIFEST_VERSION;
  control: DebControl;
  entries: RawEntry[];
}

const MANIFEST_VERSION = 1;
const MEMORY_ENTRIES = 512;
const inMemory = new Map<string, Manifest>();

const where = (p: LockedPackage) => `package ${p.name} ${p.version} (${p.architecture})`;

function remember(sha256: string, manifest: Manifest): void {
  inMemory.delete(sha256);
  inMemory.set(sha256, manifest);
  while (inMemory.size > MEMORY_ENTRIES) inMemory.delete(inMemory.keys().next().value as string);
}

async function manifestOf(locked: LockedPackage, file: string, cacheDir: string): Promise<Manifest> {
  const known = inMemory.get(locked.sha256);
  if (known) return known;
  const cached = path.join(cacheDir, `${locked.sha256}.v${MANIFEST_VERSION}.json`);
  let manifest: Manifest | undefined;
  try {
    const parsed = JSON.parse(fs.readFileSync(cached, 'utf8')) as Manifest;
    if (parsed.version === MANIFEST_VERSION) manifest = parsed;
  } catch {
    // Not cached yet, or a file cut short: read the package.
  }
  if (!manifest) {
    const deb = await readDebFile(file, where(locked));
    const [control, data] = await Promise.all([readDebControl(deb, where(locked)), readDebData(deb, where(locked))]);
    manifest = { version: MANIFEST_VERSION, control, entries: data.entries };
    writeFileAtomicSync(cached, JSON.stringify(manifest));
  }
  remember(locked.sha256, manifest);
  return manifest;
}

/** Reads one package for a build; `file` is its verified .deb. */
export async function loadPackage(locked: LockedPackage, file: string, cacheDir: string): Promise<BuildPackage> {
  const manifest = await manifestOf(locked, file, cacheDir);
  const [fields] = parseStanzas(manifest.control.control);
  if (!fields) throw new Error(`${where(locked)}: its control file has no stanza`);
  const replacesText = field(fields, 'Replaces');
  return {
    locked,
    file,
    control: manifest.control,
    fields,
    replaces: replacesText ? parseRelations(replacesText).flat() : [],
    entries: manifest.entries,
  };
}

/** The bytes of the named data.tar entries of one package (raw names, as in its manifest). */
export async function packageContents(pkg: BuildPackage, names: ReadonlySet<string>): Promise<Map<string, Buffer>> {
  const deb = await readDebFile(pkg.file, where(pkg.locked));
  const { contents } = await readDebData(deb, where(pkg.locked), (e) => names.has(e.name));
  return contents;
}

/** Installed-Size in KiB (0 when absent), for layer ranking. */
export const installedSize = (pkg: BuildPackage): number => Number(field(pkg.fields, 'Installed-Size') ?? 0) || 0;
