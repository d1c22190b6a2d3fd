/**
 * The checks run on every build: the variant policy (domain/catalog/policy)
 * and the definition's own tests. Each check is a named function of what
 * the probe saw, so one container run answers most of them.
 */
import type { ImageTest } from '../../domain/catalog/definition';
import type { VariantSpec } from '../../domain/catalog/effective';
import { CA_BUNDLE_PATH, NONROOT_GID, NONROOT_UID, RUNTIME_FORBIDDEN_PATHS } from '../../domain/catalog/policy';
import type { LockedPackage } from '../../domain/lock';
import { parseDpkgStatus } from '../../domain/debian/status';
import { STATUS_D, STATUS_FILE } from '../../domain/rootfs/dpkgStatus';
import { sha256Digest } from '../../domain/digest';
import { splitPem } from './pem';
import type { Snapshot } from './probe';

/** What the dpkg metadata check compares: a lock entry, or a package a customization's base has installed. */
export type PackageIdentity = Pick<LockedPackage, 'name' | 'version' | 'source' | 'sourceVersion'>;

export interface ImageFacts {
  spec: VariantSpec;
  config: { User?: string; Env?: string[]; Entrypoint?: string[] | null; WorkingDir?: string };
  locked: readonly PackageIdentity[];
  snapshot: Snapshot;
}

export interface Check {
  name: string;
  suite: 'policy' | 'definition';
  /** Returns a failure message, or undefined when the check passes. */
  run: (facts: ImageFacts) => string | undefined;
}

const DPKG_STATUS = STATUS_FILE;

/** Paths the snapshot must stat and read for the checks below. */
export function snapshotRequest(spec: VariantSpec, tests: readonly ImageTest[]) {
  const fileTests = tests.filter((t): t is Extract<ImageTest, { file: string }> => 'file' in t);
  return {
    stat: [...RUNTIME_FORBIDDEN_PATHS, '/tmp', CA_BUNDLE_PATH, ...fileTests.map((t) => t.file)],
    read: [DPKG_STATUS, `${STATUS_D}/*`, CA_BUNDLE_PATH, ...fileTests.filter((t) => t.contains !== undefined).map((t) => t.file)],
  };
}

const expectEqual = (what: string, actual: string | undefined, expected: string) =>
  actual === expected ? undefined : `${what} is "${actual ?? ''}", expected "${expected}"`;

const packagesListed: Check = {
  name: 'dpkg metadata lists every locked package with version and source',
  suite: 'policy',
  run: ({ snapshot, locked }) => {
    // A runtime image keeps one file per package under status.d, a dev image dpkg's own status file.
    const perPackage = Object.entries(snapshot.files).filter(([p]) => p.startsWith(`${STATUS_D}/`) && !p.endsWith('.md5sums')).map(([, text]) => text.trimEnd() + '\n');
    const status = [snapshot.files[DPKG_STATUS], ...perPackage].filter((t) => t?.trim()).join('\n');
    if (!status) return `neither ${DPKG_STATUS} nor ${STATUS_D}/ lists any package`;
    const installed = new Map(parseDpkgStatus(status).map((p) => [p.name, p]));
    const wrong = locked.flatMap((l) => {
      const p = installed.get(l.name);
      if (!p) return [`${l.name} missing`];
      if (p.version !== l.version) return [`${l.name} is ${p.version}, locked ${l.version}`];
      if (p.source !== l.source || p.sourceVersion !== l.sourceVersion) return [`${l.name} source is ${p.source} ${p.sourceVersion}, locked ${l.source} ${l.sourceVersion}`];
      return [];
    });
    return wrong.length ? wrong.slice(0, 10).join('; ') : undefined;
  },
};

const caBundleValid: Check = {
  name: `${CA_BUNDLE_PATH} is present and every certificate in it parses`,
  suite: 'policy',
  run: ({ snapshot, spec }) => {
    if (!spec.packages.include.includes('ca-certificates')) return undefined;
    const bundle = snapshot.files[CA_BUNDLE_PATH];
    if (!bundle) return 'bundle missing or empty';
    try {
      const count = validCertificateCount(bundle);
      return count >= 100 ? undefined : `only ${count} certificates`;
    } catch (err) {
      return (err as Error).message;
    }
  },
};

/**
 * Parsing 140 certificates costs ~70 ms; the images of a cascade share their
 * base's bundle byte for byte, so a bundle that parsed is remembered by digest.
 */
const parsedBundles = new Map<string, number>();
function validCertificateCount(bundle: string): number {
  const digest = sha256Digest(bundle);
  const known = parsedBundles.get(digest);
  if (known !== undefined) return known;
  const count = splitPem(bundle, CA_BUNDLE_PATH).length;
  if (parsedBundles.size >= 32) parsedBundles.clear();
  parsedBundles.set(digest, count);
  return count;
}

const tmpSticky: Check = {
  name: '/tmp is world-writable with the sticky bit (1777)',
  suite: 'policy',
  run: ({ snapshot }) => expectEqual('/tmp mode', snapshot.modes['/tmp'], '1777'),
};

const noShell: Check = {
  name: 'no shell, no apt, no dpkg, no perl',
  suite: 'policy',
  run: ({ snapshot }) => {
    const present = RUNTIME_FORBIDDEN_PATHS.filter((p) => snapshot.modes[p] !== undefined);
    return present.length ? `present: ${present.join(', ')}` : undefined;
  },
};

/** The build refuses both (domain/rootfs/runtimePolicy.ts); the running image is asked again. */
const noSetid: Check = {
  name: 'no setuid or setgid file but those the definition allows',
  suite: 'policy',
  run: ({ snapshot, spec }) => {
    // A record written before allowSetid existed lists none.
    const extra = snapshot.setid.filter((p) => !(spec.allowSetid ?? []).includes(p));
    return extra.length ? `setuid/setgid: ${extra.slice(0, 10).join(', ')}` : undefined;
  },
};

const noWorldWritable: Check = {
  name: 'nothing world-writable outside /tmp (sticky directories aside)',
  suite: 'policy',
  run: ({ snapshot }) => (snapshot.worldWritable.length ? `world-writable: ${snapshot.worldWritable.slice(0, 10).join(', ')}` : undefined),
};

export const RUNTIME_POLICY: Check[] = [
  {
    name: `image config runs as ${NONROOT_UID}:${NONROOT_GID}`,
    suite: 'policy',
    run: ({ config }) => expectEqual('User', config.User, `${NONROOT_UID}:${NONROOT_GID}`),
  },
  {
    name: `processes run as uid ${NONROOT_UID} gid ${NONROOT_GID}`,
    suite: 'policy',
    run: ({ snapshot }) => expectEqual('uid', snapshot.uid, String(NONROOT_UID)) ?? expectEqual('gid', snapshot.gid, String(NONROOT_GID)),
  },
  noShell,
  noSetid,
  noWorldWritable,
  tmpSticky,
  caBundleValid,
  packagesListed,
];

const isRootUser = (user: string) => user === '' || /^(0|root)(:|$)/.test(user);

/**
 * The runtime policy for a customized runtime image: a customer's service may
 * run as its own user (a "service user") instead of 65532, as long as it is
 * not root. Everything else of the runtime policy stands.
 */
export const SERVICE_USER_RUNTIME_POLICY: Check[] = [
  {
    name: 'image config runs as a non-root user',
    suite: 'policy',
    run: ({ config }) => (isRootUser(config.User ?? '') ? `User is "${config.User ?? ''}"` : undefined),
  },
  {
    name: 'processes run as a non-root uid',
    suite: 'policy',
    run: ({ snapshot }) => (snapshot.uid === '0' || snapshot.uid === '' ? `uid is "${snapshot.uid}"` : undefined),
  },
  noShell,
  noSetid,
  noWorldWritable,
  tmpSticky,
  caBundleValid,
  packagesListed,
];

export const DEV_POLICY: Check[] = [
  {
    name: 'image config runs as root',
    suite: 'policy',
    run: ({ config }) => (['', '0', '0:0', 'root'].includes(config.User ?? '') ? undefined : `User is "${config.User}"`),
  },
  tmpSticky,
  caBundleValid,
  packagesListed,
];

/** File and metadata tests from the definition; command tests need their own container (commands.ts). */
export function definitionChecks(tests: readonly ImageTest[]): Check[] {
  return tests.flatMap((test): Check[] => {
    if ('file' in test) {
      return [{
        name: test.name,
        suite: 'definition',
        run: ({ snapshot }) => {
          const mode = snapshot.modes[test.file];
          if (!test.exists) return mode === undefined ? undefined : `${test.file} exists`;
          if (mode === undefined) return `${test.file} does not exist`;
          if (test.mode && parseInt(mode, 8) !== parseInt(test.mode, 8)) return `${test.file} mode ${mode}, expected ${test.mode}`;
          if (test.contains !== undefined && !(snapshot.files[test.file] ?? '').includes(test.contains)) return `${test.file} does not contain "${test.contains}"`;
          return undefined;
        },
      }];
    }
    if ('metadata' in test) {
      return [{
        name: test.name,
        suite: 'definition',
        run: ({ config }) => {
          const m = test.metadata;
          if (m.user !== undefined && config.User !== m.user) return `User is "${config.User}", expected "${m.user}"`;
          for (const [k, v] of Object.entries(m.env ?? {})) if (!(config.Env ?? []).includes(`${k}=${v}`)) return `Env lacks ${k}=${v}`;
          if (m.entrypoint && JSON.stringify(config.Entrypoint ?? []) !== JSON.stringify(m.entrypoint)) return `Entrypoint is ${JSON.stringify(config.Entrypoint)}`;
          if (m.workdir !== undefined && config.WorkingDir !== m.workdir) return `WorkingDir is "${config.WorkingDir}"`;
          return undefined;
        },
      }];
    }
    return [];
  });
}
