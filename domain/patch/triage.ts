/**
 * What the resolved lock and the built image's SBOM say about each advisory
 * of a cycle: pure verdicts, applied by the workflow. Resolve decides what a
 * build could fix (and what is not in the image, or has no fix in the
 * archive yet); the scan of the image that was actually built decides what
 * it does fix.
 */
import type { Advisory } from '../advisory/record';
import { compareVersions } from '../debian/version';
import type { ScanVerdict } from '../impact';
import { advisoryKey } from '../advisory/record';
import type { AdvisoryVerdict } from './state';

export type Disposition =
  | { advisory: Advisory; verdict: AdvisoryVerdict }
  | { advisory: Advisory; waitFor: string; installedVersion?: string };

/** Sorts advisories by the resolved source versions: the ones a build would fix, and what to record for the rest. */
export function triage(advisories: readonly Advisory[], sourceVersions: Readonly<Record<string, string>>, imageLabel: string): { fixable: Advisory[]; dispositions: Disposition[] } {
  const fixable: Advisory[] = [];
  const dispositions: Disposition[] = [];
  for (const advisory of advisories) {
    const installed = sourceVersions[advisory.source];
    if (installed === undefined) {
      dispositions.push({ advisory, verdict: { status: 'not_affected', justification: 'component_not_present', detail: `${advisory.source} is not in ${imageLabel}` } });
    } else if (advisory.fixedVersion === null) {
      dispositions.push({ advisory, waitFor: advisory.status === 'undetermined' ? 'undetermined upstream' : `no fix yet${advisory.reason ? ` (${advisory.reason})` : ''}`, installedVersion: installed });
    } else if (compareVersions(installed, advisory.fixedVersion) >= 0) {
      fixable.push(advisory);
    } else {
      dispositions.push({ advisory, waitFor: `fix ${advisory.fixedVersion} not in the archive yet (newest ${installed})`, installedVersion: installed });
    }
  }
  return { fixable, dispositions };
}

/** The fixable advisories as fixed by an image that was not rebuilt (its lock already holds the fix). */
export function fixedByLock(advisories: readonly Advisory[], sourceVersions: Readonly<Record<string, string>>, inCycle: number): Disposition[] {
  return advisories.map((advisory) => ({ advisory, verdict: { status: 'fixed', version: sourceVersions[advisory.source] ?? advisory.fixedVersion ?? '', inCycle } }));
}

/** What the built image's SBOM says about each advisory a build was expected to fix. */
export function scanDispositions(advisories: readonly Advisory[], verdicts: readonly ScanVerdict[], cycle: number): Disposition[] {
  return advisories.map((advisory) => {
    const verdict = verdicts.find((v) => v.key === advisoryKey(advisory));
    if (verdict?.fixed) return { advisory, verdict: { status: 'fixed', version: verdict.installedSourceVersion ?? advisory.fixedVersion ?? '', inCycle: cycle } };
    if (!verdict?.present) return { advisory, verdict: { status: 'not_affected', justification: 'component_not_present', detail: `${advisory.source} is not in the image` } };
    return { advisory, waitFor: `built image still has ${advisory.source} ${verdict.installedSourceVersion}`, installedVersion: verdict.installedSourceVersion };
  });
}

/**
 * One verdict per advisory for an image of several platforms, from each
 * platform's scan (one list: that list as is): present where any platform
 * has the source, fixed only when every platform that has it is fixed, and
 * the version reported from a platform that is not.
 */
export function platformVerdicts(perPlatform: readonly (readonly ScanVerdict[])[]): ScanVerdict[] {
  if (perPlatform.length === 1) return [...(perPlatform[0] as readonly ScanVerdict[])];
  const keys = [...new Set(perPlatform.flatMap((verdicts) => verdicts.map((v) => v.key)))];
  return keys.map((key) => {
    const present = perPlatform.flatMap((verdicts) => verdicts.filter((v) => v.key === key && v.present));
    const unfixed = present.find((v) => !v.fixed);
    const shown = unfixed ?? present[0];
    return {
      key,
      present: present.length > 0,
      fixed: present.length > 0 && !unfixed,
      ...(shown?.installedSourceVersion ? { installedSourceVersion: shown.installedSourceVersion } : {}),
    };
  });
}
