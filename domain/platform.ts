/**
 * The architectures tempered builds, as Debian and OCI name them. A lock
 * holds packages per architecture; an image is built for each architecture
 * its definition lists (both unless it narrows them), from that
 * architecture's packages.
 */
import { z } from 'zod';

export const ARCHITECTURES = ['amd64', 'arm64'] as const;
export const ArchitectureSchema = z.enum(ARCHITECTURES);
export type Architecture = z.infer<typeof ArchitectureSchema>;

/** The OCI platform of an image config: `linux/amd64`, `linux/arm64/v8`. */
export interface PlatformInfo {
  os: 'linux';
  architecture: Architecture;
  variant?: string;
}

export const PLATFORMS: Readonly<Record<Architecture, PlatformInfo>> = {
  amd64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
};

/** `linux/amd64`, `linux/arm64/v8`: what `docker run --platform` and image indexes name. */
export function platformName(arch: Architecture): string {
  const p = PLATFORMS[arch];
  return [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/');
}

/** Debian's multiarch tuple: the directory under /usr/lib that holds an architecture's shared libraries. */
export const MULTIARCH_TUPLES: Readonly<Record<Architecture, string>> = {
  amd64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
};

/** glibc's dynamic loader, the program interpreter every dynamically linked executable names. */
export const DYNAMIC_LOADERS: Readonly<Record<Architecture, string>> = {
  amd64: '/lib64/ld-linux-x86-64.so.2',
  arm64: '/lib/ld-linux-aarch64.so.1',
};

/** What a build is for when no architecture is named (activity inputs recorded before architectures, the CLI without --arch). */
export const DEFAULT_ARCHITECTURE: Architecture = 'amd64';

/**
 * The build task queue of an architecture: builds that run the image's own
 * code (a dev image's maintainer scripts) are routed by the architecture
 * they build, so an arm64 worker in a cluster builds arm64 natively, and a
 * worker that emulates it serves that queue alone. amd64 keeps the build
 * queue's own name (the one builds used before architectures); others add
 * theirs: `tempered-build-arm64`.
 */
export function buildQueueFor(buildQueue: string, arch: Architecture): string {
  return arch === 'amd64' ? buildQueue : `${buildQueue}-${arch}`;
}

/**
 * Where a build of `arch` runs: its architecture's queue when it executes
 * the image's code (dev variants), else the build queue: a runtime image is
 * assembled from the package bytes alone, the same work on any machine.
 */
export function buildQueueOf(buildQueue: string, arch: Architecture, runsImageCode: boolean): string {
  return buildQueueFor(buildQueue, runsImageCode ? arch : DEFAULT_ARCHITECTURE);
}

/** The Debian name of the machine's architecture, from Node's `process.arch` (x64 is amd64). */
export function hostArchitecture(nodeArch: string): Architecture | undefined {
  return ({ x64: 'amd64', arm64: 'arm64' } as const)[nodeArch as 'x64' | 'arm64'];
}
