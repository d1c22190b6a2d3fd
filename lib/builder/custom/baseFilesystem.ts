/**
 * What a customization build needs to know about its base image's root
 * filesystem, read out of the base's layers in one pass (gzip tar, bottom to
 * top, OCI whiteouts honoured), without unpacking anything to disk:
 *  - the files the new layer must merge rather than replace (dpkg status,
 *    /etc/passwd, /etc/group, the CA bundle),
 *  - every directory's owner and mode, so a directory the new layer also
 *    carries keeps the base's metadata (/tmp stays 1777, a home stays 0700),
 *  - every symlink, so content the new layer puts under a symlinked directory
 *    (/lib -> usr/lib in a merged-/usr dev image) goes where dpkg would put
 *    it instead of replacing the symlink with a directory.
 *
 * A base digest names immutable content, so the answer is cached on disk by
 * digest and computed once per worker however many customizations sit on it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { extract } from 'tar-stream';
import { CA_BUNDLE_PATH } from '../../../domain/catalog/policy';
import { STATUS_D, STATUS_FILE } from '../../../domain/rootfs/dpkgStatus';
import { hexOf } from '../../../domain/digest';
import type { ImageManifest } from '../../../domain/oci/image';
import { writeFileAtomicSync } from '../../state/files';
import type { BlobStore } from '../../oci/blobStore';

export const DPKG_STATUS = STATUS_FILE;
const MERGED_FILES = [DPKG_STATUS, '/etc/passwd', '/etc/group', CA_BUNDLE_PATH] as const;
/** The files read whole: those the new layer merges, and the per-package status files a runtime base keeps instead of `status`. */
const isRead = (p: string) => (MERGED_FILES as readonly string[]).includes(p) || (p.startsWith(`${STATUS_D}/`) && !p.endsWith('.md5sums') && !p.slice(STATUS_D.length + 1).includes('/'));

export interface DirectoryMeta {
  mode: number;
  uid: number;
  gid: number;
}

export interface BaseFilesystem {
  /** Contents of the files in MERGED_FILES and under status.d that exist in the base. */
  files: Partial<Record<string, string>>;
  directories: Record<string, DirectoryMeta>;
  /** Symlink path -> link target, as written in the layer. */
  symlinks: Record<string, string>;
}

const CACHE_VERSION = 2;
/** Recent answers in memory (read-only to callers), the rest on disk; a few bases are ever in use at once. */
const MEMORY_ENTRIES = 8;
const inMemory = new Map<string, Promise<BaseFilesystem>>();

/** The base's filesystem facts; its manifest and layers must be in the blob store. Callers must not modify the answer. */
export function baseFilesystem(store: BlobStore, cacheDir: string, digest: string): Promise<BaseFilesystem> {
  const file = path.join(cacheDir, `${hexOf(digest)}.v${CACHE_VERSION}.json`);
  const known = inMemory.get(file);
  if (known) return known;
  const loading = (async () => {
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as BaseFilesystem;
    const facts = await readBaseFilesystem(store, digest);
    writeFileAtomicSync(file, JSON.stringify(facts));
    return facts;
  })();
  loading.catch(() => inMemory.delete(file));
  inMemory.set(file, loading);
  while (inMemory.size > MEMORY_ENTRIES) inMemory.delete(inMemory.keys().next().value as string);
  return loading;
}

const normalize = (name: string) => '/' + name.replace(/^\.?\//, '').replace(/\/$/, '');
const under = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');

export async function readBaseFilesystem(store: BlobStore, digest: string): Promise<BaseFilesystem> {
  const manifest = store.readJson<ImageManifest>(digest);
  const files = new Map<string, string>();
  const directories = new Map<string, DirectoryMeta>();
  const symlinks = new Map<string, string>();
  const forget = (target: string, keepSelf: boolean) => {
    for (const map of [files, directories, symlinks] as Map<string, unknown>[]) {
      for (const key of [...map.keys()]) if (under(key, target) && !(keepSelf && key === target)) map.delete(key);
    }
  };
  for (const layer of manifest.layers) {
    const tar = extract();
    tar.on('entry', (header, stream, next) => {
      const name = normalize(header.name);
      const dir = path.posix.dirname(name);
      const base = path.posix.basename(name);
      if (base === '.wh..wh..opq') forget(dir, true);
      else if (base.startsWith('.wh.')) forget(path.posix.join(dir, base.slice(4)), false);
      else {
        // A path that changes type in an upper layer replaces whatever was below.
        if (header.type !== 'directory') forget(name, false);
        else symlinks.delete(name);
        if (header.type === 'directory') directories.set(name, { mode: (header.mode ?? 0o755) & 0o7777, uid: header.uid ?? 0, gid: header.gid ?? 0 });
        else if (header.type === 'symlink' && header.linkname) symlinks.set(name, header.linkname);
        if (header.type === 'file' && isRead(name)) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: unknown) => chunks.push(c as Buffer));
          stream.on('end', () => {
            files.set(name, Buffer.concat(chunks).toString('utf8'));
            next();
          });
          return;
        }
      }
      stream.on('end', next);
      stream.resume();
    });
    await pipeline(fs.createReadStream(store.pathOf(layer.digest)), zlib.createGunzip(), tar);
  }
  return { files: Object.fromEntries(files), directories: Object.fromEntries(directories), symlinks: Object.fromEntries(symlinks) };
}
