/**
 * Image sizes: every catalog runtime image built from its lock, per release
 * and architecture, beside the package set of debian:<release>-slim for the
 * same architecture built and measured the same way.
 *
 * "The same way": the reference is Debian's minbase variant (what
 * debuerreotype builds bookworm-slim from) installed by mmdebstrap with
 * merged /usr as debootstrap sets it up and the documentation path-excludes
 * of debuerreotype's --slimify, and then put
 * through our own layer writer (lib/builder/layer.ts): the same tar
 * flags, the same gzip level. Uncompressed is the layer tar, compressed is
 * the gzip blob a registry stores; MB are 10^6 bytes, as `docker images`.
 *
 * Run alone: `npm run build && node dist/bench/sizes.js`; bench/main.ts
 * writes the section into docs/BENCHMARKS.md.
 */
import { definitionReleases } from '../domain/catalog/definition';
import { type Release, RELEASE_INFO, RELEASES } from '../domain/debian/releases';
import { type Architecture, ARCHITECTURES } from '../domain/platform';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fetchDeb } from '../lib/archive/fetch';
import { buildImage } from '../lib/builder/image';
import { createLayer } from '../test/support/dirLayer';
import { exec } from '../lib/process/exec';
import { readLockFile } from '../lib/locks/lockStore';
import { sandboxAccount } from '../lib/sandbox/account';
import { BlobStore } from '../lib/oci/blobStore';
import { definitionArchitectures, effectiveSpec } from '../domain/catalog/effective';
import { definitionFiles, lockFileFor, readDefinition } from '../domain/catalog/load';
import { findRepoRoot, loadConfig } from '../domain/config';
import { parseDpkgStatus } from '../domain/debian/status';
import { type BenchSection, machineLine } from './report';

export interface SizeRow {
  image: string;
  release: Release;
  architecture: Architecture;
  uncompressed: number;
  compressed: number;
  packages: number;
}

/** debuerreotype's --slimify: what bookworm-slim leaves out of every package. */
const SLIM_DPKG_OPTIONS = [
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/groff/*',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/linda/*',
  'path-exclude=/usr/share/lintian/overrides/*',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/man/*',
];

/** The runtime variant of every catalog image on each release and architecture, built from its checked-in lock into a scratch store. */
export async function catalogRuntimeSizes(catalogDir: string, work: string, debCache: string): Promise<SizeRow[]> {
  const store = new BlobStore(path.join(work, 'blobs'));
  const rows: SizeRow[] = [];
  const images = definitionFiles(catalogDir).flatMap((file) => {
    const definition = readDefinition(file);
    return definitionReleases(definition).flatMap((release) => definitionArchitectures(definition).map((architecture) => ({ definition, file, release, architecture })));
  });
  for (const { definition, file, release, architecture } of images) {
    const spec = effectiveSpec(definition, release, 'runtime', architecture);
    const built = await buildImage(spec, readLockFile(lockFileFor(file, release)), architecture, {
      store,
      cacheDir: work,
      fetchDeb: (p) => fetchDeb(p, debCache),
      sandbox: () => sandboxAccount(loadConfig().sandboxUser),
      progress: () => undefined,
    });
    rows.push({ image: `${definition.name}:${spec.tag} (${architecture})`, release, architecture, uncompressed: built.size, compressed: built.compressedSize, packages: built.packageCount });
  }
  return rows;
}

/**
 * Debian's minbase set of one release and architecture, slimmed like
 * debian:<release>-slim, measured through our layer writer (arm64: its
 * maintainer scripts run under qemu-user emulation).
 */
export async function slimReferenceSize(work: string, release: Release, architecture: Architecture): Promise<SizeRow> {
  const rootfs = path.join(work, `${release}-${architecture}-slim`);
  await exec('mmdebstrap', [
    '--mode=root', '--variant=minbase', '--format=directory', '--quiet', `--architectures=${architecture}`,
    // bookworm-slim is debootstrap's merged /usr with usr-is-merged, not usrmerge and perl; trixie's base-files ships it.
    ...(RELEASE_INFO[release].baseFilesMergesUsr ? [] : ['--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr']),
    ...SLIM_DPKG_OPTIONS.map((o) => `--dpkgopt=${o}`),
    release, rootfs,
  ], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  const packages = parseDpkgStatus(fs.readFileSync(path.join(rootfs, 'var/lib/dpkg/status'), 'utf8')).length;
  const layer = await createLayer(rootfs, 0, new BlobStore(path.join(work, 'reference-blobs')));
  fs.rmSync(rootfs, { recursive: true, force: true });
  return { image: `debian:${release}-slim package set (${architecture}, reference)`, release, architecture, uncompressed: layer.uncompressedSize, compressed: layer.size, packages };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/**
 * distroless cannot be pulled here (no registry but our own), so its sizes are quoted, not measured:
 * approximate compressed sizes of its Debian 12 images from a public comparison (mid-2025).
 */
const DISTROLESS_REFERENCE = [
  'For reference, not measured here (no image can be pulled on this machine): approximate compressed sizes of distroless\'s Debian 12',
  'images as a public comparison lists them (mid-2025, https://git.mytsl.cn/csh/playbook, container-security-hardening/references/base-image-comparison.md):',
  '`static-debian12` ~2 MB, `base-debian12` ~20 MB, `python3-debian12` ~50 MB, `nodejs20-debian12` ~55 MB, `java21-debian12` ~220 MB.',
].join('\n');

/** One table per release and architecture: its runtime images, then its slim reference, each as a share of the reference. */
export function sizesTable(rows: readonly SizeRow[], references: readonly SizeRow[]): string {
  return references.flatMap((reference) => {
    const line = (r: SizeRow) =>
      `| ${r.image} | ${mb(r.uncompressed)} | ${mb(r.compressed)} | ${r.packages} | ${Math.round((100 * r.uncompressed) / reference.uncompressed)}% |`;
    return [
      '',
      `**${reference.release}, ${reference.architecture}**`,
      '',
      '| image | uncompressed MB | compressed MB | packages | of reference |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...rows.filter((r) => r.release === reference.release && r.architecture === reference.architecture).map(line),
      line(reference),
    ];
  }).join('\n');
}

export async function sizesBench(root: string): Promise<BenchSection> {
  const config = loadConfig();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-bench-sizes-'));
  try {
    const rows = await catalogRuntimeSizes(path.join(root, 'catalog'), work, config.debCache);
    const references = [];
    for (const release of RELEASES) for (const architecture of ARCHITECTURES) references.push(await slimReferenceSize(work, release, architecture));
    return {
      id: 'sizes',
      title: 'Image sizes: runtime images beside the debian:<release>-slim package set',
      markdown: [
        `${machineLine()}.`,
        sizesTable(rows, references),
        '',
        "Each runtime image is built from its release's lock for each architecture; the reference is mmdebstrap `--variant=minbase` of the release",
        'and architecture (arm64 under qemu-user emulation) with merged /usr',
        "and debian:*-slim's documentation excludes. Both are measured as one layer by the same writer (sorted GNU tar, gzip level 6);",
        'uncompressed is the layer tar, compressed the gzip blob. MB = 10^6 bytes. Package counts are dpkg status entries.',
        'arm64 images are larger uncompressed than amd64 and about the same compressed (the same packages, built for the other architecture).',
        '',
        DISTROLESS_REFERENCE,
      ].join('\n'),
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  sizesBench(findRepoRoot()).then(
    (section) => console.log(section.markdown),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
