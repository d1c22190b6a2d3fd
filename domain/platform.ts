/**
 * The architectures tempered builds, as Debian, OCI and the loader name
 * them. Every image is an OCI index with one manifest per architecture,
 * each built from that architecture's packages.
 */
export const ARCHITECTURES = ['amd64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface PlatformInfo {
  /** OCI platform: `linux/amd64`, `linux/arm64/v8`. */
  os: 'linux';
  architecture: Architecture;
  variant?: string;
  /** The multiarch triplet of library paths: `/usr/lib/x86_64-linux-gnu`. */
  triplet: string;
  /** glibc's dynamic loader, where the ELF interpreter points. */
  loader: string;
  /** The qemu-user binary that runs it on another host, and its binfmt name. */
  qemu: string;
}

export const PLATFORMS: Readonly<Record<Architecture, PlatformInfo>> = {
  amd64: { os: 'linux', architecture: 'amd64', triplet: 'x86_64-linux-gnu', loader: '/lib64/ld-linux-x86-64.so.2', qemu: 'qemu-x86_64' },
  arm64: { os: 'linux', architecture: 'arm64', variant: 'v8', triplet: 'aarch64-linux-gnu', loader: '/lib/ld-linux-aarch64.so.1', qemu: 'qemu-aarch64' },
};

/** `linux/amd64`, `linux/arm64` (Docker's --platform). */
export function platformName(arch: Architecture): string {
  return `linux/${arch}`;
}

export function isArchitecture(value: unknown): value is Architecture {
  return typeof value === 'string' && (ARCHITECTURES as readonly string[]).includes(value);
}

/** The architecture of the machine this runs on, as Debian names it (for native builds and tests). */
export function hostArchitecture(nodeArch: string = process.arch): Architecture | undefined {
  return nodeArch === 'x64' ? 'amd64' : nodeArch === 'arm64' ? 'arm64' : undefined;
}

/**
 * The architectures catalog images are built and published for now. A lock
 * holds packages per architecture so that arm64 joins without a new lock
 * format; it is listed here once the builder publishes an OCI index with a
 * manifest per platform and the tests run it under qemu.
 */
export const BUILT_ARCHITECTURES: readonly Architecture[] = ['amd64'];

/** What a build is for when no architecture is named (activity inputs recorded before architectures, the CLI without --arch). */
export const DEFAULT_ARCHITECTURE: Architecture = 'amd64';
