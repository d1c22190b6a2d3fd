import { ControlSyntaxError } from './control';
import { DpkgStatusError, installedPackageSchema, parseCopyrightLicenses, parseDpkgStatus, parseDpkgStatusFiles, parseSourceField } from './status';

/** An excerpt of a bookworm /var/lib/dpkg/status, with the states dpkg leaves behind. */
const STATUS = `Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 340
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 12.4+deb12u5
Replaces: base, dpkg (<= 1.15.0), miscutils
Provides: base
Conffiles:
 /etc/debian_version 0d6f8e3e1a1c0e2e8f3d8a4f0b7d5e58
 /etc/host.conf 4eb63731c9f5e30903ac4fc07a7fe3d6
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy of a Debian system, and
 several important miscellaneous files.
Homepage: https://tracker.debian.org/pkg/base-files

Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 6152
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.15-1~deb12u1
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation of the SSL and
 TLS cryptographic protocols for secure communication over the Internet.
Homepage: https://www.openssl.org/

Package: gcc-12-base
Status: hold ok installed
Priority: optional
Section: libs
Installed-Size: 71
Maintainer: Debian GCC Maintainers <debian-gcc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: gcc-12 (12.2.0-14+deb12u1)
Version: 12.2.0-14+deb12u1
Description: GCC, the GNU Compiler Collection (base package)

Package: docker.io
Status: install ok installed
Installed-Size: 107352
Maintainer: Debian Go Packaging Team <team+pkg-go@tracker.debian.org>
Architecture: amd64
Source: docker.io (20.10.24+dfsg1-1)
Version: 20.10.24+dfsg1-1+b3
Description: Linux container runtime

Package: libssl1.1
Status: deinstall ok config-files
Priority: optional
Section: libs
Installed-Size: 4125
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Source: openssl
Version: 1.1.1n-0+deb11u5
Description: Secure Sockets Layer toolkit - shared libraries

Package: libgdbm6
Status: purge ok not-installed
Priority: optional
Section: libs
Architecture: amd64

Package: tzdata
Status: install ok unpacked
Priority: required
Section: localization
Installed-Size: 3237
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: all
Version: 2024a-0+deb12u1
Description: time zone and daylight-saving time data
`;

describe('parseDpkgStatus', () => {
  const packages = parseDpkgStatus(STATUS);

  it('keeps only installed packages (held ones included), in file order', () => {
    expect(packages.map((p) => p.name)).toEqual(['base-files', 'libssl3', 'gcc-12-base', 'docker.io']);
  });

  it('reads every field of a package without a Source field', () => {
    expect(packages[0]).toEqual({
      name: 'base-files',
      version: '12.4+deb12u5',
      architecture: 'amd64',
      source: 'base-files',
      sourceVersion: '12.4+deb12u5',
      maintainer: 'Santiago Vila <sanvila@debian.org>',
      homepage: 'https://tracker.debian.org/pkg/base-files',
      description: 'Debian base system miscellaneous files',
      installedSize: 340,
    });
  });

  it('takes the source name from Source and the version from Version when Source has none', () => {
    expect(packages[1]).toMatchObject({ name: 'libssl3', source: 'openssl', sourceVersion: '3.0.15-1~deb12u1' });
  });

  it('reads the source version of a binNMU from Source: name (version)', () => {
    expect(packages[3]).toMatchObject({ name: 'docker.io', version: '20.10.24+dfsg1-1+b3', source: 'docker.io', sourceVersion: '20.10.24+dfsg1-1' });
    expect(packages[2]).toMatchObject({ source: 'gcc-12', sourceVersion: '12.2.0-14+deb12u1' });
  });

  it('produces values the boundary schema accepts', () => {
    for (const pkg of packages) expect(installedPackageSchema.parse(pkg)).toEqual(pkg);
  });

  it('names the paragraph and field of a broken installed package', () => {
    const missingVersion = 'Package: a1\nStatus: install ok installed\nArchitecture: amd64\n';
    expect(() => parseDpkgStatus(`${STATUS}\n${missingVersion}`)).toThrow(new DpkgStatusError(8, 'Version: is required for an installed package'));
    const badVersion = 'Package: a1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0 beta\n';
    expect(() => parseDpkgStatus(badVersion)).toThrow('dpkg status paragraph 1: Version: invalid Debian version "1.0 beta" (package a1)');
    const badSource = 'Package: a1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\nSource: a1 (1.0) extra\n';
    expect(() => parseDpkgStatus(badSource)).toThrow(/Source: expected "name" or "name \(version\)", got "a1 \(1\.0\) extra"/);
  });

  it('lets control syntax errors through, naming the line', () => {
    expect(() => parseDpkgStatus('Package: a1\nthis is not a field\n')).toThrow(ControlSyntaxError);
  });

  it('leaves out an unreadable Installed-Size instead of failing', () => {
    const [pkg] = parseDpkgStatus('Package: a1\nArchitecture: all\nVersion: 1.0\nInstalled-Size: lots\n');
    expect(pkg).toEqual({ name: 'a1', version: '1.0', architecture: 'all', source: 'a1', sourceVersion: '1.0' });
  });
});

describe('parseDpkgStatusFiles (distroless status.d)', () => {
  it('counts entries without Status as installed and does not need trailing blank lines', () => {
    const files = [
      'Package: libc6\nVersion: 2.36-9+deb12u7\nArchitecture: amd64\nSource: glibc',
      'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n',
    ];
    expect(parseDpkgStatusFiles(files).map((p) => `${p.name}=${p.version} from ${p.source}`)).toEqual([
      'libc6=2.36-9+deb12u7 from glibc',
      'tzdata=2024a-0+deb12u1 from tzdata',
    ]);
  });
});

describe('parseSourceField', () => {
  it.each([
    [undefined, { source: 'libfoo1', sourceVersion: '1.2-3+b1' }],
    ['foo', { source: 'foo', sourceVersion: '1.2-3+b1' }],
    ['foo (1.2-3)', { source: 'foo', sourceVersion: '1.2-3' }],
    ['  foo  ( 1:1.2-3 ) ', { source: 'foo', sourceVersion: '1:1.2-3' }],
  ])('%j', (value, expected) => expect(parseSourceField(value, 'libfoo1', '1.2-3+b1')).toEqual(expected));

  it('rejects a bad name or version', () => {
    expect(() => parseSourceField('Foo', 'libfoo1', '1.0')).toThrow(DpkgStatusError);
    expect(() => parseSourceField('foo (v1)', 'libfoo1', '1.0')).toThrow(/Source: invalid Debian version "v1"/);
  });
});

/** Shaped like bookworm's /usr/share/doc/libssl3/copyright and friends. */
const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: OpenSSL
Source: https://www.openssl.org/source/
License: Apache-2.0

Files: *
Copyright: 1998-2024 The OpenSSL Project
           1995-1998 Eric A. Young, Tim J. Hudson
License: Apache-2.0

Files: debian/*
Copyright: 2012-2024 Debian OpenSSL Team
License: GPL-2+ or Artistic

Files: crypto/ec/curve448/*
Copyright: 2015-2016 Cryptography Research, Inc.
License: MIT and BSD-3-clause

Files: tools/c_rehash
Copyright: 2000 Someone
License: GPL-2+ with OpenSSL exception

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License");
 .
 On Debian systems, the full text can be found in /usr/share/common-licenses/Apache-2.0.

License: Artistic
 This program is free software; you can redistribute it and/or modify it
 under the terms of the "Artistic License".
`;

describe('parseCopyrightLicenses', () => {
  it('collects the short names of Files and standalone License paragraphs, unique and sorted', () => {
    expect(parseCopyrightLicenses(DEP5)).toEqual(['Apache-2.0', 'Artistic', 'BSD-3-clause', 'GPL-2+', 'GPL-2+ with OpenSSL exception', 'MIT']);
  });

  it('accepts the pre-1.0 DEP-5 header', () => {
    const old = 'Format-Specification: http://dep.debian.net/deps/dep5\nName: zlib\n\nFiles: *\nCopyright: 1995 Jean-loup Gailly\nLicense: Zlib\n';
    expect(parseCopyrightLicenses(old)).toEqual(['Zlib']);
  });

  it('skips a malformed paragraph but keeps the others', () => {
    const broken = DEP5.replace('Files: debian/*\n', 'Files: debian/*\nthis line is not a field\n');
    expect(parseCopyrightLicenses(broken)).toEqual(['Apache-2.0', 'Artistic', 'BSD-3-clause', 'GPL-2+ with OpenSSL exception', 'MIT']);
  });

  it('returns [] for free-text copyright files', () => {
    const glibc = `This is the Debian prepackaged version of the GNU C Library version 2.36.

It was put together by the GNU Libc Maintainers <debian-glibc@lists.debian.org>
from https://ftp.gnu.org/gnu/glibc/

Copyright (C) 1991-2022 Free Software Foundation, Inc.
`;
    expect(parseCopyrightLicenses(glibc)).toEqual([]);
    expect(parseCopyrightLicenses('')).toEqual([]);
    expect(parseCopyrightLicenses('Upstream-Name: foo\n\nFiles: *\nLicense: MIT\n')).toEqual([]);
  });
});
