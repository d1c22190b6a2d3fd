/**
 * Debian package version order, exactly as dpkg implements it
 * (lib/dpkg/version.c: dpkg_version_compare / verrevcmp).
 *
 * Written by hand because no npm package gets it right (deb-version-compare
 * orders `1.01` and `1.1` differently from dpkg). Tests hold it against
 * `dpkg --compare-versions` as the oracle.
 */

import { TemperedError } from '../errors';

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export class InvalidVersionError extends TemperedError<'VERSION_INVALID'> {
  constructor(readonly version: string, readonly problem: string) {
    super('VERSION_INVALID', `invalid Debian version "${version}": ${problem}`);
  }
}

/**
 * Parses a version as dpkg's parseversion() does, with its error cases and,
 * but for a few shorter ones (other modules' messages quote them), its
 * wording. version.property.test.ts holds both against dpkg itself.
 *
 * Two deliberate differences: dpkg only *warns* about a missing leading digit
 * or a bad character when comparing (it refuses them in control files, which
 * is what we parse), and dpkg reads the epoch with strtol(), which also takes
 * a sign and leading whitespace (`+1:2.0`); Debian policy says an epoch is an
 * unsigned integer, so we accept digits only.
 */
export function parseVersion(text: string): DebianVersion {
  // dpkg trims blanks (space, tab) only: a newline is an invalid character. By hand: the regex
  // /[ \t]+$/ is quadratic in a run of blanks that does not end the text (60,000 took 3 s).
  const version = trimBlanks(text);
  if (version.length === 0) throw new InvalidVersionError(text, 'is empty');
  if (/[ \t]/.test(version)) throw new InvalidVersionError(text, 'contains whitespace');

  let epoch = 0;
  let rest = version;
  const colon = version.indexOf(':');
  if (colon >= 0) {
    epoch = parseEpoch(text, version.slice(0, colon));
    rest = version.slice(colon + 1);
    if (rest.length === 0) throw new InvalidVersionError(text, 'nothing after colon in version number');
  }

  // The revision starts after the LAST hyphen: upstream versions may contain hyphens.
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (hyphen >= 0 && revision.length === 0) throw new InvalidVersionError(text, 'revision number is empty');
  if (upstream.length === 0) throw new InvalidVersionError(text, 'version number is empty');
  if (!/^[0-9]/.test(upstream)) throw new InvalidVersionError(text, 'version number does not start with digit');
  if (!/^[A-Za-z0-9.+~:-]*$/.test(upstream)) throw new InvalidVersionError(text, 'invalid character in version number');
  if (!/^[A-Za-z0-9.+~]*$/.test(revision)) throw new InvalidVersionError(text, 'invalid character in revision number');
  return { epoch, upstream, revision };
}

const isBlank = (code: number) => code === 0x20 || code === 0x09;

function trimBlanks(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** dpkg keeps the epoch in an int, hence the INT_MAX bound. */
function parseEpoch(text: string, epochText: string): number {
  if (!/^[0-9]+$/.test(epochText)) throw new InvalidVersionError(text, 'epoch is not a number');
  const epoch = Number(epochText);
  if (epoch > 2147483647) throw new InvalidVersionError(text, 'epoch is too big');
  return epoch;
}

/**
 * The shape of nearly every version in the archive, in one regex: whatever
 * it matches is valid (an epoch of at most 9 digits stays under INT_MAX).
 * Lets index parsing check 400,000 versions without building objects.
 */
const PLAIN_VERSION = /^(?:[0-9]{1,9}:)?[0-9][A-Za-z0-9.+~]*(?:-[A-Za-z0-9.+~]+)?$/;

/** Throws InvalidVersionError, as parseVersion does, without building its result for valid versions. */
export function assertValidVersion(text: string): void {
  if (!PLAIN_VERSION.test(text)) parseVersion(text);
}

export function isValidVersion(text: string): boolean {
  try {
    assertValidVersion(text);
    return true;
  } catch {
    return false;
  }
}

/** dpkg's order(): `~` sorts before everything, then the end of the part, then letters, then the rest. */
function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c >= '0' && c <= '9') return 0;
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** dpkg's verrevcmp(): alternating non-digit and digit runs. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Negative when a < b, zero when equal, positive when a > b. Throws InvalidVersionError. */
export function compareVersions(a: string, b: string): number {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch > vb.epoch ? 1 : -1;
  const upstream = compareFragment(va.upstream, vb.upstream);
  if (upstream !== 0) return Math.sign(upstream);
  return Math.sign(compareFragment(va.revision, vb.revision));
}

export type VersionRelation = '<<' | '<=' | '=' | '>=' | '>>';

/** Whether `version RELATION reference` holds, as in a Depends field. */
export function satisfies(version: string, relation: VersionRelation, reference: string): boolean {
  const c = compareVersions(version, reference);
  switch (relation) {
    case '<<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '>>':
      return c > 0;
  }
}

export function maxVersion(versions: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const v of versions) if (best === undefined || compareVersions(v, best) > 0) best = v;
  return best;
}
