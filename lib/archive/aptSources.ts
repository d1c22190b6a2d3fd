/**
 * Reads the machine's apt source configuration, in both formats apt accepts:
 * deb822 `*.sources` stanzas and one-line `sources.list` / `*.list` entries.
 * This only transcribes what apt would see; deciding which entries tempered
 * uses is `sources.ts`'s job.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ControlSyntaxError, field, parseStanzas, type Stanza } from '../../domain/debian/control';
import { ArchiveError } from './errors';

export interface AptSourceEntry {
  /** `deb` and/or `deb-src`. */
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** Only when the entry restricts them (`Architectures:` / `[arch=...]`). */
  architectures?: string[];
  /** Keyring paths from `Signed-By` / `[signed-by=...]`; fingerprints and inline keys are left out. */
  signedBy: string[];
  enabled: boolean;
  /** The file the entry was read from, for error messages. */
  file: string;
}

const words = (value: string | undefined): string[] => (value ?? '').split(/[\s,]+/).filter((w) => w.length > 0);

/** `Signed-By` holds paths, fingerprints, or (deb822 only) a whole armored key; only paths are usable by gpgv. */
const keyringPaths = (value: string | undefined): string[] =>
  value === undefined || value.includes('-----BEGIN PGP') ? [] : words(value).filter((w) => w.startsWith('/'));

/** Parses a deb822 `.sources` file. Lines starting with `#` are comments, also inside a stanza. */
export function parseDeb822Sources(text: string, file: string): AptSourceEntry[] {
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
  let stanzas: Stanza[];
  try {
    stanzas = parseStanzas(withoutComments);
  } catch (error) {
    if (error instanceof ControlSyntaxError) throw new ArchiveError('ARCHIVE_CONFIG_INVALID', file, [error.message]);
    throw error;
  }
  return stanzas.map((stanza) => {
    const architectures = words(field(stanza, 'Architectures'));
    return {
      types: words(field(stanza, 'Types')),
      uris: words(field(stanza, 'URIs')),
      suites: words(field(stanza, 'Suites')),
      components: words(field(stanza, 'Components')),
      ...(architectures.length > 0 ? { architectures } : {}),
      signedBy: keyringPaths(field(stanza, 'Signed-By')),
      enabled: (field(stanza, 'Enabled') ?? 'yes').trim().toLowerCase() !== 'no',
      file,
    };
  });
}

const ONE_LINE = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)(?:\s+(.*))?$/;

/** Parses one-line `sources.list` syntax: `deb [arch=amd64 signed-by=/k.gpg] URI SUITE COMPONENT...`. */
export function parseOneLineSources(text: string, file: string): AptSourceEntry[] {
  const entries: AptSourceEntry[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*$/, '').trim();
    const match = ONE_LINE.exec(line);
    if (!match) continue;
    const [, type = '', optionText = '', uri = '', suite = '', componentText = ''] = match;
    const options = new Map<string, string>();
    for (const option of optionText.trim().split(/\s+/)) {
      const equals = option.indexOf('=');
      if (equals > 0) options.set(option.slice(0, equals).toLowerCase(), option.slice(equals + 1));
    }
    const architectures = words(options.get('arch'));
    entries.push({
      types: [type],
      uris: [uri],
      suites: [suite],
      components: words(componentText),
      ...(architectures.length > 0 ? { architectures } : {}),
      signedBy: keyringPaths(options.get('signed-by')),
      enabled: true,
      file,
    });
  }
  return entries;
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Every entry apt itself would read under `aptDir`: `sources.list`, then
 * `sources.list.d/*.list` and `*.sources` in name order. Files with other
 * suffixes (`.save`, `.disabled`, ...) are ignored, as apt ignores them.
 */
export async function readAptSourceEntries(aptDir = '/etc/apt'): Promise<AptSourceEntry[]> {
  const entries: AptSourceEntry[] = [];
  const mainList = join(aptDir, 'sources.list');
  const mainText = await readIfPresent(mainList);
  if (mainText !== undefined) entries.push(...parseOneLineSources(mainText, mainList));

  const partsDir = join(aptDir, 'sources.list.d');
  let names: string[] = [];
  try {
    names = (await readdir(partsDir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const name of names) {
    const path = join(partsDir, name);
    if (name.endsWith('.list')) entries.push(...parseOneLineSources(await readFile(path, 'utf8'), path));
    else if (name.endsWith('.sources')) entries.push(...parseDeb822Sources(await readFile(path, 'utf8'), path));
  }
  return entries;
}
