/**
 * The SBOM of a built image, generated from the image's own package metadata
 * (its dpkg status and copyright files, read out of its layers), never from
 * the lock: what scanners will see is what we describe.
 */
import { parseCopyrightLicenses, parseDpkgStatus, parseDpkgStatusFiles, type InstalledPackage } from '../../domain/debian/status';
import type { ImageManifest } from '../../domain/oci/image';
import { buildSbom } from '../../domain/sbom/cyclonedx';
import type { BlobStore } from '../oci/blobStore';
import { type LayerEntry, type LayerReader, readImageFiles, readLayerEntries } from '../oci/layerFiles';

const STATUS = '/var/lib/dpkg/status';
const STATUS_D = /^\/var\/lib\/dpkg\/status\.d\/[^/]+$/;
const COPYRIGHT = /^\/usr\/share\/doc\/([^/]+)\/copyright$/;

export interface ImagePackages {
  packages: InstalledPackage[];
  licenses: Record<string, string[]>;
}

const wanted = (p: string) => p === STATUS || STATUS_D.test(p) || COPYRIGHT.test(p);

/**
 * The package metadata of recently read layers, by layer digest (a digest
 * names immutable content). A cascade scans twenty customizations that share
 * their base's layers: the base is decompressed once, not twenty times.
 */
const LAYER_CACHE_SIZE = 16;
const layerCache = new Map<string, Promise<LayerEntry[]>>();
function cachedLayer(store: BlobStore): LayerReader {
  return (layer) => {
    const hit = layerCache.get(layer);
    if (hit) {
      layerCache.delete(layer);
      layerCache.set(layer, hit);
      return hit;
    }
    const read = readLayerEntries(store.pathOf(layer), wanted);
    read.catch(() => layerCache.delete(layer));
    layerCache.set(layer, read);
    while (layerCache.size > LAYER_CACHE_SIZE) layerCache.delete(layerCache.keys().next().value as string);
    return read;
  };
}

export async function imagePackages(store: BlobStore, digest: string): Promise<ImagePackages> {
  const files = await readImageFiles(store, digest, wanted, cachedLayer(store));
  const status = files.get(STATUS);
  const statusD = [...files].filter(([p]) => STATUS_D.test(p) && !p.endsWith('.md5sums')).map(([, b]) => b.toString('utf8'));
  const packages = [...(status ? parseDpkgStatus(status.toString('utf8')) : []), ...(statusD.length ? parseDpkgStatusFiles(statusD) : [])];
  const licenses: Record<string, string[]> = {};
  for (const [p, content] of files) {
    const name = COPYRIGHT.exec(p)?.[1];
    if (!name) continue;
    const found = parseCopyrightLicenses(content.toString('utf8'));
    if (found.length) licenses[name] = found;
  }
  return { packages, licenses };
}

export async function imageSbom(store: BlobStore, digest: string, image: { name: string; variant: string; reference?: string }): Promise<{ sbom: string; packages: InstalledPackage[] }> {
  const { packages, licenses } = await imagePackages(store, digest);
  const manifest = store.readJson<ImageManifest>(digest);
  const created = store.readJson<{ created?: string }>(manifest.config.digest).created;
  const sbom = buildSbom({
    image: { ...image, digest },
    packages,
    licenses,
    tools: [{ name: 'tempered', version: '1' }],
    timestamp: created ? new Date(created) : new Date(0),
  });
  return { sbom, packages };
}
