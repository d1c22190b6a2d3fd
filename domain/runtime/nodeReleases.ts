/**
 * When each Node.js major line stops getting security releases (the
 * Node.js release schedule, nodejs/Release). `tempered doctor` flags a
 * worker or CLI on a line past its date: a product that keeps other
 * software patched must not run on an unpatched runtime itself.
 */
export const NODE_END_OF_LIFE: Readonly<Record<number, string>> = {
  18: '2025-04-30',
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
};

export type RuntimeSupport = { status: 'supported'; until: string } | { status: 'end-of-life'; since: string } | { status: 'unknown' };

/** Support status of a Node.js version string (`v24.22.3` or `24.22.3`) on a given day. */
export function nodeSupport(version: string, today = new Date().toISOString().slice(0, 10)): RuntimeSupport {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  const eol = NODE_END_OF_LIFE[major];
  if (!eol) return { status: 'unknown' };
  return today > eol ? { status: 'end-of-life', since: eol } : { status: 'supported', until: eol };
}

/**
 * The worker identity tempered gives Temporal: `tempered-<role> <pid>@<host> node <version>`.
 * Temporal shows it on every poller and activity attempt, so the runtime of
 * each worker can be read from the server alone.
 */
export function workerIdentity(role: string, pid: number, host: string, nodeVersion: string): string {
  return `tempered-${role} ${pid}@${host} node ${nodeVersion}`;
}

export function parseWorkerIdentity(identity: string): { role?: string; process: string; node?: string } {
  const m = /^tempered-(\S+) (\S+) node (v\d+\.\d+\.\d+)$/.exec(identity);
  return m ? { role: m[1], process: m[2] as string, node: m[3] } : { process: identity };
}
