/**
 * The architectures tempered knows, as Debian and OCI name them. A lock
 * holds packages per architecture; an image is built for each of
 * BUILT_ARCHITECTURES, from that architecture's packages.
 */
export const ARCHITECTURES = ['amd64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

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

/**
 * The architectures catalog images are built and published for now. A lock
 * holds packages per architecture so that arm64 joins without a new lock
 * format; it is listed here once the builder publishes an OCI index with a
 * manifest per platform and the tests run it under qemu.
 */
export const BUILT_ARCHITECTURES: readonly Architecture[] = ['amd64'];

/** What a build is for when no architecture is named (activity inputs recorded before architectures, the CLI without --arch). */
export const DEFAULT_ARCHITECTURE: Architecture = 'amd64';
