import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeb822Sources, parseOneLineSources } from './aptSources';
import { ArchiveError } from './errors';
import {
  DEBIAN_ARCHIVE_KEYRING,
  archiveSourcesFromEnv,
  archiveSourcesFromFile,
  defaultArchiveSources,
  parseArchiveSources,
  resolveArchiveSources,
} from './sources';

// What this project's machines have: Debian in deb822 (with comment lines inside stanzas) and third-party repos.
const DEBIAN_SOURCES = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;
const NODESOURCE_SOURCES = `Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/nodesource.gpg
`;
const GOOGLE_LIST = 'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n';
// Docker's repository reuses Debian's suite name; it must not be taken for Debian.
const DOCKER_LIST = 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/debian bookworm stable\n';

async function withAptDir(files: Record<string, string>, test: (aptDir: string) => Promise<void>): Promise<void> {
  const aptDir = await mkdtemp(join(tmpdir(), 'tempered-apt-'));
  try {
    await mkdir(join(aptDir, 'sources.list.d'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(aptDir, name), text);
    await test(aptDir);
  } finally {
    await rm(aptDir, { recursive: true, force: true });
  }
}

describe('apt source parsing', () => {
  it('reads deb822 stanzas, skipping comment lines inside them', () => {
    const entries = parseDeb822Sources(DEBIAN_SOURCES, 'debian.sources');
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      types: ['deb'],
      uris: ['http://deb.debian.org/debian'],
      suites: ['bookworm', 'bookworm-updates'],
      components: ['main'],
      signedBy: [DEBIAN_ARCHIVE_KEYRING],
      enabled: true,
    });
  });

  it('honours Enabled: no and leaves inline keys out of signedBy', () => {
    const text = 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nEnabled: no\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n';
    const [entry] = parseDeb822Sources(text, 'x.sources');
    expect(entry).toMatchObject({ enabled: false, signedBy: [] });
  });

  it('reads one-line entries with options and trailing comments', () => {
    const text = '# comment\ndeb-src http://deb.debian.org/debian bookworm main\n' + DOCKER_LIST.trim() + ' # docker\n';
    const entries = parseOneLineSources(text, 'sources.list');
    expect(entries).toEqual([
      expect.objectContaining({ types: ['deb-src'] }),
      expect.objectContaining({
        types: ['deb'],
        uris: ['https://download.docker.com/linux/debian'],
        suites: ['bookworm'],
        components: ['stable'],
        architectures: ['amd64'],
        signedBy: ['/etc/apt/keyrings/docker.gpg'],
      }),
    ]);
  });
});

describe('defaultArchiveSources', () => {
  it('keeps the Debian bookworm suites with their keyring and drops third-party repositories', async () => {
    await withAptDir(
      {
        'sources.list.d/debian.sources': DEBIAN_SOURCES,
        'sources.list.d/nodesource.sources': NODESOURCE_SOURCES,
        'sources.list.d/google-cloud-sdk.list': GOOGLE_LIST,
        'sources.list.d/docker.list': DOCKER_LIST,
        'sources.list.d/old.sources.disabled': DEBIAN_SOURCES.replace(/bookworm/g, 'bullseye'),
      },
      async (aptDir) => {
        expect(await defaultArchiveSources({ aptDir })).toEqual([
          {
            uri: 'http://deb.debian.org/debian',
            suites: ['bookworm', 'bookworm-updates'],
            components: ['main'],
            architectures: ['amd64'],
            keyring: DEBIAN_ARCHIVE_KEYRING,
          },
          {
            uri: 'http://deb.debian.org/debian-security',
            suites: ['bookworm-security'],
            components: ['main'],
            architectures: ['amd64'],
            keyring: DEBIAN_ARCHIVE_KEYRING,
          },
        ]);
      },
    );
  });

  it('merges one-line entries of one mirror into one source and leaves backports out', async () => {
    const list = [
      'deb http://deb.debian.org/debian/ bookworm main contrib',
      'deb http://deb.debian.org/debian/ bookworm-updates main contrib',
      'deb http://deb.debian.org/debian bookworm-backports main contrib',
      'deb http://security.debian.org/debian-security bookworm-security main contrib',
    ].join('\n');
    await withAptDir({ 'sources.list': list }, async (aptDir) => {
      const sources = await defaultArchiveSources({ aptDir });
      expect(sources.map((source) => [source.uri, source.suites])).toEqual([
        ['http://deb.debian.org/debian', ['bookworm', 'bookworm-updates']],
        ['http://security.debian.org/debian-security', ['bookworm-security']],
      ]);
      expect(sources[0]?.components).toEqual(['main', 'contrib']);
    });
  });

  it('fails with a hint when apt has no Debian source for the release', async () => {
    await withAptDir({ 'sources.list.d/google-cloud-sdk.list': GOOGLE_LIST }, async (aptDir) => {
      await expect(defaultArchiveSources({ aptDir })).rejects.toThrow(/no enabled Debian bookworm source.*TEMPERED_ARCHIVE/);
    });
  });

  it('reads this machine’s apt configuration', async () => {
    const sources = await defaultArchiveSources();
    expect(sources.flatMap((source) => source.suites)).toEqual(expect.arrayContaining(['bookworm']));
  });
});

describe('overrides', () => {
  it('fills defaults and strips the trailing slash of the URI', () => {
    expect(parseArchiveSources([{ uri: 'file:///srv/mirror/', suites: ['tempered-test'] }], 'test')).toEqual([
      {
        uri: 'file:///srv/mirror',
        suites: ['tempered-test'],
        components: ['main'],
        architectures: ['amd64'],
        keyring: DEBIAN_ARCHIVE_KEYRING,
      },
    ]);
  });

  it('names every bad field', () => {
    const bad = [
      { uri: 'ftp://mirror.example/debian', suites: ['bookworm'] },
      { uri: 'https://user:secret@mirror.example/debian', suites: ['../etc'], keyring: 'relative.gpg', suite: 'x' },
    ];
    let error: unknown;
    try {
      parseArchiveSources(bad, 'TEMPERED_ARCHIVE');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ArchiveError);
    expect((error as ArchiveError).code).toBe('ARCHIVE_CONFIG_INVALID');
    const issues = (error as ArchiveError).issues.join('\n');
    expect(issues).toMatch(/^\[0\]\.uri: must be an http, https or file URL$/m);
    expect(issues).toMatch(/^\[1\]\.uri: must not contain credentials$/m);
    expect(issues).toMatch(/^\[1\]\.suites\[0\]: must be a suite name/m);
    expect(issues).toMatch(/^\[1\]\.keyring: must be an absolute path$/m);
    expect(issues).toMatch(/^\[1\]: .*suite/m);
    expect((error as ArchiveError).message).toMatch(/^ARCHIVE_CONFIG_INVALID: TEMPERED_ARCHIVE: /);
  });

  it('reads TEMPERED_ARCHIVE as JSON and ignores it when empty', () => {
    const env = { TEMPERED_ARCHIVE: JSON.stringify([{ uri: 'http://127.0.0.1:8080', suites: ['tempered-test'] }]) };
    expect(archiveSourcesFromEnv(env)?.[0]?.uri).toBe('http://127.0.0.1:8080');
    expect(archiveSourcesFromEnv({ TEMPERED_ARCHIVE: ' ' })).toBeUndefined();
    expect(() => archiveSourcesFromEnv({ TEMPERED_ARCHIVE: '[{' })).toThrow(/TEMPERED_ARCHIVE: is not JSON/);
  });

  it('reads a YAML file, and the env var wins over it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tempered-archive-config-'));
    try {
      const file = join(dir, 'archive.yaml');
      await writeFile(file, '- uri: http://127.0.0.1:9\n  suites: [tempered-test]\n  keyring: /tmp/k.gpg\n');
      expect((await archiveSourcesFromFile(file))[0]).toMatchObject({ uri: 'http://127.0.0.1:9', keyring: '/tmp/k.gpg' });
      const env = { TEMPERED_ARCHIVE: '[{"uri":"http://127.0.0.1:7","suites":["x"]}]' };
      expect((await resolveArchiveSources({ env, configFile: file }))[0]?.uri).toBe('http://127.0.0.1:7');
      expect((await resolveArchiveSources({ env: {}, configFile: file }))[0]?.uri).toBe('http://127.0.0.1:9');
      await writeFile(file, '- uri: http://127.0.0.1:9\n  suites: []\n');
      await expect(archiveSourcesFromFile(file)).rejects.toThrow(/archive\.yaml: \[0\]\.suites: must name at least one suite/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
