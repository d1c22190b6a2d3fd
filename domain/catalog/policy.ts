/**
 * The variant policy: what makes a runtime image a runtime image and a dev
 * image a dev image. The builder applies it and the image tests enforce it
 * on every build (activities/test/policy.ts), so a definition cannot drift
 * out of it silently.
 */

export const NONROOT_UID = 65532;
export const NONROOT_GID = 65532;

/**
 * Never installed in a runtime image. A package that depends on one of these
 * gets its dependency treated as satisfied (as distroless does): the image
 * has no way to run maintainer scripts anyway.
 */
export const RUNTIME_EXCLUDED_PACKAGES = [
  'apt',
  // base-files pre-depends on awk and ca-certificates on openssl, for scripts a runtime image never runs.
  'awk',
  'gawk',
  'mawk',
  'openssl',
  'bash',
  'dash',
  'debconf',
  'debianutils',
  'dpkg',
  'init-system-helpers',
  'lsb-base',
  'perl',
  'perl-base',
  'sensible-utils',
  'sysvinit-utils',
  'ucf',
] as const;

/**
 * Packages that ship one of RUNTIME_FORBIDDEN_PATHS: a definition asking for
 * one in its runtime variant is refused when it is read, not at test time.
 */
export const RUNTIME_FORBIDDEN_PACKAGES = ['apt', 'bash', 'dash', 'dpkg', 'perl', 'perl-base'] as const;

/** Binaries whose presence breaks the runtime policy. */
export const RUNTIME_FORBIDDEN_PATHS = [
  '/bin/sh', '/bin/bash', '/bin/dash', '/usr/bin/sh', '/usr/bin/bash', '/usr/bin/dash',
  '/usr/bin/apt', '/usr/bin/apt-get', '/usr/bin/dpkg', '/bin/dpkg', '/usr/bin/perl',
] as const;

/**
 * Packages every dev image has besides the Essential set: a package manager
 * that works. usr-is-merged, as debootstrap and mmdebstrap choose for
 * bookworm: the tree is built merged-/usr already, and without it the
 * resolver takes the first alternative of init-system-helpers' `usrmerge |
 * usr-is-merged`, which brings full perl (~45 MB) and a postinst that walks
 * the whole tree into every dev image. In trixie base-files provides
 * usr-is-merged (it ships the symlinks), so the name resolves to it.
 */
export const DEV_REQUIRED_PACKAGES = ['apt', 'ca-certificates', 'mawk', 'usr-is-merged'] as const;

/** Removed from package contents in runtime images: documentation nobody can read without a shell. */
export const DEFAULT_RUNTIME_PRUNE = [
  '/usr/share/doc/*/changelog*',
  '/usr/share/doc/*/NEWS*',
  '/usr/share/doc/*/README*',
  '/usr/share/doc/*/examples',
  '/usr/share/man',
  '/usr/share/info',
  '/usr/share/lintian',
  '/usr/share/bug',
  '/usr/share/locale',
] as const;

export const CA_BUNDLE_PATH = '/etc/ssl/certs/ca-certificates.crt';

