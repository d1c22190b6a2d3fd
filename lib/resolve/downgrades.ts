/**
 * The two checks every resolve from the archive makes before its lock is
 * used: the archive state is not older than one already trusted
 * (lib/archive/freshness.ts), and no package is older than in the lock the
 * image was published from, unless on-call allowed it for this cycle.
 */
import { packageDowngrades } from '../../domain/lockResolution';
import { assertNotOlder, type TrustedReleases, trustedAfter } from '../archive/freshness';
import type { ReleaseInfo } from '../archive/fetch';
import { TemperedError } from '../../domain/errors';

export class DowngradeRefusedError extends TemperedError<'DOWNGRADE_REFUSED'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DOWNGRADE_REFUSED', message, options);
  }
}

/** The trusted archive states after reading `releases` (refused when one is older than trusted). */
export function checkedReleases(releases: readonly ReleaseInfo[], trusted: TrustedReleases = {}): Record<string, string> {
  assertNotOlder(releases, trusted);
  return trustedAfter(releases, trusted);
}

export function refuseDowngrades(
  what: string,
  before: readonly { name: string; version: string }[],
  after: readonly { name: string; version: string }[],
  allowed: boolean | undefined,
): void {
  const down = packageDowngrades(before, after);
  if (down.length === 0 || allowed) return;
  throw new DowngradeRefusedError(
    `${what}: the archive now resolves ${down.length} package(s) to an older version than the published image has (${down.slice(0, 5).join('; ')}): refused; if this is intended (a withdrawn update), tempered retry --allow-downgrade REASON`,
  );
}
