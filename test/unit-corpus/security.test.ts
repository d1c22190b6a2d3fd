/**
 * Bad-input corpus for the security findings (issue 16): a generator per
 * finding, RUNS cases each, every case an attack or a near miss whose
 * expected verdict the test computes independently of the code under test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { normalizeOsvRecord } from '../../domain/advisory/osv';
import { normalizeTracker } from '../../domain/advisory/tracker';
import { DefinitionSchema } from '../../domain/catalog/definition';
import { patternFinds, patternProblem } from '../../domain/catalog/testPattern';
import { baseCandidateProblem } from '../../domain/customization/baseCandidate';
import { CustomizationSchema } from '../../domain/customization/schema';
import { readSource, SourceProblem } from '../../domain/customization/sources';
import { parseVersion } from '../../domain/debian/version';
import { hexOf } from '../../domain/digest';
import { RESERVED_ANNOTATIONS } from '../../domain/oci/image';
import { landingPath } from '../../domain/rootfs/placeOnBase';
import { checkRuntimeContent, checkRuntimeNames, FORBIDDEN_PROGRAM_MARKERS, FORBIDDEN_PROGRAM_NAMES } from '../../domain/rootfs/runtimePolicy';
import { ImageTree, type TreeNode } from '../../domain/rootfs/tree';
import { assertNotOlder } from '../../lib/archive/freshness';
import type { ReleaseInfo } from '../../lib/archive/fetch';
import { stagedFiles } from '../../lib/builder/custom/build';
import { realmRefusal } from '../../lib/oci/registry';
import { FeedLoadError, loadFeed } from '../../lib/feeds/load';
import { exec, MINIMAL_ENV } from '../../lib/process/exec';
import { zipOf } from '../support/zip';
import { fcParams, RUNS } from './arbitraries';

const throwsOrNot = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('1. the runtime policy judges content', () => {
  const names = [...FORBIDDEN_PROGRAM_NAMES];
  const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  const file = (p: string, mode: number): TreeNode => ({ path: p, type: 'file', mode, uid: 0, gid: 0, mtime: 0, size: 1, owner: 'pkg' });
  it(`refuses ${RUNS} trees with a shell by name, a setid file or a world-writable file anywhere, and passes the clean ones`, () => {
    fc.assert(fc.property(
      fc.constantFrom('/usr/bin', '/usr/local/bin', '/opt/x', '/usr/lib/x86_64-linux-gnu', '/srv/a/b'),
      fc.oneof(fc.constantFrom(...names), fc.stringMatching(/^[a-z][a-z0-9-]{2,12}$/)),
      fc.constantFrom(0o644, 0o755, 0o4755, 0o2755, 0o666, 0o777, 0o700),
      (dir, name, mode) => {
        const tree = new ImageTree({ setidAllowed: new Set(), specialFiles: 'refuse' });
        tree.put(file(`${dir}/${name}`, mode));
        const expectRefused = (names.includes(name) && (mode & 0o111) !== 0) || (mode & 0o6000) !== 0 || (mode & 0o002) !== 0;
        const refused = throwsOrNot(() => checkRuntimeNames(tree, new Set()));
        return expectRefused ? refused?.includes(`${dir}/${name}`) === true : refused === undefined;
      },
    ), fcParams());
  });
  it(`refuses ${RUNS} ELF files carrying a shell's or package manager's marker anywhere in their bytes, whatever their name`, () => {
    fc.assert(fc.property(fc.constantFrom(...FORBIDDEN_PROGRAM_MARKERS.map((m) => m.marker)), fc.uint8Array({ maxLength: 2048 }), fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (marker, before, after, elf) => {
      const bytes = Buffer.concat([elf ? ELF : Buffer.from('#!/x\n'), Buffer.from(before), Buffer.from(marker), Buffer.from(after)]);
      const refused = throwsOrNot(() => checkRuntimeContent(file('/usr/lib/innocent.so', 0o755), bytes));
      return elf ? refused !== undefined : refused === undefined;
    }), fcParams());
  });
});

describe('2. a base digest must be the right base, not older', () => {
  it(`decides ${RUNS} candidates exactly: same image, release and variant, cycle not older (else build time not earlier)`, () => {
    // No release in the provenance: signed before releases, a bookworm image.
    const facts = fc.record({ image: fc.constantFrom('base', 'app-two', 'cc'), release: fc.constantFrom('trixie', 'bookworm', undefined), variant: fc.constantFrom('runtime', 'dev'), cycle: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }), finishedOn: fc.option(fc.integer({ min: 0, max: 1e6 }).map((s) => new Date(1.7e12 + s * 1000).toISOString()), { nil: undefined }) });
    fc.assert(fc.property(facts, fc.option(facts, { nil: undefined }), (candidate, current) => {
      const problem = baseCandidateProblem(candidate, { image: 'base', release: 'bookworm', variant: 'runtime' }, current && { ...current, digest: `sha256:${'0'.repeat(64)}` });
      const wrongImage = candidate.image !== 'base' || candidate.variant !== 'runtime' || (candidate.release ?? 'bookworm') !== 'bookworm';
      const older = !!current && (candidate.cycle !== undefined && current.cycle !== undefined ? candidate.cycle < current.cycle : !!candidate.finishedOn && !!current.finishedOn && candidate.finishedOn < current.finishedOn);
      return (problem !== undefined) === (wrongImage || older);
    }), fcParams());
  });
});

describe('3. test patterns match in linear time', () => {
  const atom = fc.constantFrom('a', 'a+', 'a*', '(a|aa)', '(a+)+', '(a*)*', '.', '.*', '\\d', '[ab]', '(?:a|b)*', '\\1', '(?=a)', '$', '^');
  it(`compiles or refuses ${RUNS} patterns and runs every compiled one on 20,000 characters at once`, () => {
    fc.assert(fc.property(fc.array(atom, { minLength: 1, maxLength: 8 }), fc.constantFrom('a', 'ab', 'x'), (atoms, unit) => {
      const source = atoms.join('');
      if (patternProblem(source)) return /\\1|\(\?=/.test(source);
      patternFinds(source, `${unit.repeat(10_000)}!`);
      return true;
    }), fcParams());
  });
});

describe('4. feed fields are bounded before parsing, and versions parse in linear time', () => {
  it(`skips ${RUNS} OSV and tracker records with an over-long version, naming the field, without throwing`, () => {
    fc.assert(fc.property(fc.integer({ min: 129, max: 20_000 }), fc.constantFrom(' ', '1', '.', '~', 'a '), (length, unit) => {
      const version = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
      const osv = normalizeOsvRecord({ id: 'CVE-2099-1', affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: version }] }] }] }, 'f');
      const tracker = normalizeTracker({ openssl: { 'CVE-2099-1': { releases: { bookworm: { status: 'resolved', fixed_version: version } } } } }, 't');
      return osv.records.length === 0 && osv.problems[0]?.problem.includes('fixed: is') === true && tracker.problems[0]?.problem.includes('fixed_version: is') === true;
    }), fcParams());
  });
  it(`parses ${RUNS} long blank-riddled versions without quadratic work`, () => {
    fc.assert(fc.property(fc.integer({ min: 1_000, max: 50_000 }), (n) => throwsOrNot(() => parseVersion(`1${' \t'.repeat(n)}1`))?.includes('whitespace') === true), fcParams());
  });
});

describe('6. an archive state never goes back', () => {
  const release = (date: string): ReleaseInfo => ({ archive: 'http://a', suite: 'bookworm', url: 'http://a/dists/bookworm/InRelease', sha256: '0'.repeat(64), signers: [], date, indexes: [] });
  it(`refuses ${RUNS} releases dated before the trusted one, and takes the rest`, () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), (trusted, seen) => {
      const [t, s] = [new Date(1e12 + trusted * 1000).toISOString(), new Date(1e12 + seen * 1000).toISOString()];
      const refused = throwsOrNot(() => assertNotOlder([release(s)], { 'http://a bookworm': t }));
      return (refused !== undefined) === (seen < trusted);
    }), fcParams());
  });
});

describe('7. credentials go only to the registry, never over plain http off loopback', () => {
  it(`decides ${RUNS} token realms`, () => {
    const host = fc.constantFrom('127.0.0.1:5000', '127.0.0.2:5000', 'registry.example.com', 'evil.example.com', 'tokens.example.com', '10.0.0.5', 'localhost:5000');
    fc.assert(fc.property(host, fc.constantFrom('http', 'https', 'ftp', 'file'), fc.constantFrom('/token', '/', '/a?b=c'), fc.boolean(), (realmHost, scheme, p, creds) => {
      const refused = realmRefusal('127.0.0.1:5000', ['tokens.example.com'], `${scheme}://${realmHost}${p}`, creds);
      const allowedHost = realmHost === '127.0.0.1:5000' || realmHost === 'tokens.example.com';
      const okScheme = scheme === 'https' || (scheme === 'http' && (!creds || realmHost.startsWith('127.') || realmHost.startsWith('localhost')));
      return (refused === undefined) === (allowedHost && okScheme);
    }), fcParams());
  });
});

describe('8. a child process gets the minimal environment only', () => {
  it('never passes the worker\'s variables, whatever they are called (100 spawns of env: a process each)', async () => {
    // Spawning is slow on two busy cores: a process per case.
    await fc.assert(fc.asyncProperty(fc.stringMatching(/^TEMPERED_[A-Z_]{1,20}$/), fc.stringMatching(/^[A-Za-z0-9]{8,30}$/), async (name, value) => {
      process.env[name] = value;
      try {
        const out = await exec('/usr/bin/env', []);
        return !out.includes(value) && out.trim().split('\n').length === Object.keys(MINIMAL_ENV).length;
      } finally {
        delete process.env[name];
      }
    }), fcParams(100));
  }, 60_000);
});

describe('9. digests from outside never name a path', () => {
  it(`accepts only sha256:<64 lowercase hex> among ${RUNS} strings`, () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^sha256:[0-9a-fA-F./]{0,70}$/), fc.stringMatching(/^sha256:[0-9a-f]{64}$/)), (digest) => {
      const refused = throwsOrNot(() => hexOf(digest));
      return (refused === undefined) === /^sha256:[0-9a-f]{64}$/.test(digest);
    }), fcParams());
  });
});

describe('10. a customization reads only its own directory', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-sources-'));
  const own = path.join(root, 'app');
  beforeAll(() => {
    fs.mkdirSync(path.join(own, 'conf'), { recursive: true });
    fs.mkdirSync(path.join(root, 'other-team'));
    fs.writeFileSync(path.join(own, 'conf', 'a.toml'), 'a');
    fs.writeFileSync(path.join(root, 'other-team', 'secret'), 'theirs');
    fs.symlinkSync(path.join(root, 'other-team', 'secret'), path.join(own, 'link-out'));
    fs.symlinkSync('conf/a.toml', path.join(own, 'link-in'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  it(`reads ${RUNS} source paths only when they resolve to a regular file inside the customization's own directory`, () => {
    const segment = fc.constantFrom('conf', 'a.toml', '..', '.', 'other-team', 'secret', 'link-out', 'link-in', 'app', '');
    fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean(), (parts, absolute) => {
      const source = `${absolute ? '/' : ''}${parts.join('/')}`;
      let read: Buffer | undefined;
      try {
        read = readSource(own, source);
      } catch (err) {
        if (!(err instanceof SourceProblem)) throw err;
      }
      return read === undefined || read.toString() === 'a';
    }), fcParams());
  });
});

describe('11. the builder\'s annotations cannot be set', () => {
  it(`refuses ${RUNS} definitions and customizations setting a reserved annotation, naming it`, () => {
    fc.assert(fc.property(fc.constantFrom(...RESERVED_ANNOTATIONS), fc.string({ maxLength: 40 }), (key, value) => {
      const definition = DefinitionSchema.safeParse({ name: 'x', description: 'x', packages: { include: ['libc6'] }, annotations: { [key]: value } });
      const custom = CustomizationSchema.safeParse({ name: 'x', description: 'x', base: { image: 'base' }, tagSuffix: 'x', annotations: { [key]: value } });
      return !definition.success && !custom.success && definition.error.issues.some((i) => i.path.join('.') === `annotations.${key}`);
    }), fcParams());
  });
});

describe('12. protected paths are checked where a file lands', () => {
  it(`refuses ${RUNS} customization files that land on a managed path through the base's symlinks`, () => {
    fc.assert(fc.property(fc.constantFrom('/usr/lib/ssl/certs', '/srv/alias', '/opt/etc'), fc.constantFrom('/etc/ssl/certs', '/etc', '/var/lib/dpkg', '/opt/app'), fc.constantFrom('ca-certificates.crt', 'passwd', 'status', 'app.conf'), (link, target, name) => {
      const base = { filesystem: { files: {}, directories: { '/etc': { mode: 0o755, uid: 0, gid: 0 } }, symlinks: { [link]: target } } };
      const customization = CustomizationSchema.parse({ name: 'app', description: 'x', base: { image: 'base', variant: 'dev' }, tagSuffix: 'app', files: [{ path: `${link}/${name}`, content: 'x' }] });
      const lands = landingPath({ path: `${link}/${name}`, type: 'file' }, base.filesystem);
      const managed = ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow', '/etc/ssl/certs/ca-certificates.crt'].includes(lands) || lands.startsWith('/var/lib/dpkg/');
      const refused = throwsOrNot(() => stagedFiles({ customization, file: '/c/app.yaml', dir: '/c', sourceDir: '/c/app' }, base, { users: [{ name: 'root', uid: 0, gid: 0, gecos: '', home: '/', shell: '/x' }], groups: [{ name: 'root', gid: 0, members: [] }] }));
      return managed ? refused?.includes(`lands on ${lands}`) === true : refused === undefined;
    }), fcParams());
  });
});

describe('5. a feed decompresses within its budget', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-feed-budget-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  it(`refuses ${RUNS} zips exactly when their entries together inflate past the budget, naming the feed`, async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 64 * 1024 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 16 * 1024, max: 256 * 1024 }), async (sizes, budget) => {
      const file = path.join(dir, `feed-${n++}.zip`);
      fs.writeFileSync(file, zipOf(Object.fromEntries(sizes.map((size, i) => [`CVE-2099-${i}.json`, ' '.repeat(size)])), { deflate: true }));
      const refused = await loadFeed(file, { maxBytes: budget }).then(() => undefined, (err: FeedLoadError) => err);
      fs.rmSync(file);
      const total = sizes.reduce((a, b) => a + b, 0);
      return total > budget ? refused?.code === 'feed-too-large' && refused.message.includes(path.basename(file)) : refused === undefined;
    }), fcParams());
  }, 120_000);
});
