/**
 * The vulnerability report of a publish in the in-toto vulns predicate
 * (https://in-toto.io/attestation/vulns/v0.1, which grew out of cosign's
 * vuln predicate and keeps its shape: scanner { uri, version, db, result },
 * metadata { scanStartedOn, scanFinishedOn }): every advisory the image's
 * workflow has a verdict on, with its status, against the advisories known
 * when the cycle started (db.lastUpdate, the feed snapshot the decision used).
 *
 * Attached under two predicate types with the same body: the in-toto one,
 * and cosign's own (`cosign verify-attestation --type vuln` compares with
 * https://cosign.sigstore.dev/attestation/vuln/v1 exactly; see
 * cosign/cmd/cosign/cli/options/predicate.go).
 */
import type { VexRecord } from './vexRecords';

export interface VulnsResult {
  id: string;
  severity: { method: string; score: string }[];
  annotations: Record<string, string>[];
}

export interface VulnsPredicate {
  scanner: {
    uri: string;
    version: string;
    db: { uri: string; version: string; lastUpdate: string };
    result: VulnsResult[];
  };
  metadata: { scanStartedOn: string; scanFinishedOn: string };
}

export interface VulnsInput {
  records: readonly VexRecord[];
  /** tempered's version (package.json), for scanner.version. */
  version: string;
  /** When the cycle started: every advisory received before it was considered. */
  snapshotAt: string;
  scanStartedOn: string;
  scanFinishedOn: string;
}

export const VULNS_SCANNER_URI = 'pkg:github/tempered/tempered';

export function buildVulns(input: VulnsInput): VulnsPredicate {
  const result = [...input.records]
    .sort((a, b) => a.id.localeCompare(b.id) || a.source.localeCompare(b.source))
    .map((r): VulnsResult => ({
      id: r.id,
      severity: r.severity ? [{ method: 'debian', score: r.severity }] : [],
      annotations: [{
        status: r.status,
        source: r.source,
        ...(r.version ? { [r.status === 'fixed' ? 'fixedVersion' : 'installedVersion']: r.version } : {}),
        ...(r.justification ? { justification: r.justification } : {}),
        ...(r.aliases?.length ? { aliases: r.aliases.join(' ') } : {}),
      }],
    }));
  return {
    scanner: {
      uri: VULNS_SCANNER_URI,
      version: input.version,
      db: { uri: 'tempered:advisories (OSV, Debian Security Tracker, tempered advisory submit)', version: input.snapshotAt, lastUpdate: input.snapshotAt },
      result,
    },
    metadata: { scanStartedOn: input.scanStartedOn, scanFinishedOn: input.scanFinishedOn },
  };
}
