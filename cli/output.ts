/**
 * How the CLI speaks: a table for people, JSON for scripts (`--json`), one
 * line on stderr for errors, and exit codes scripts can trust.
 */
import Table from 'cli-table3';
import { TemperedError } from '../domain/errors';

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
} as const;

/** What kind of failure a CliError is, after its exit code. */
export type CliErrorCode = 'CLI_USAGE' | 'CLI_UNREACHABLE' | 'CLI_FAILED';

export class CliError extends TemperedError<CliErrorCode> {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failed,
  ) {
    super(exitCode === ExitCode.usage ? 'CLI_USAGE' : exitCode === ExitCode.unreachable ? 'CLI_UNREACHABLE' : 'CLI_FAILED', message);
  }
}

export function printTable(head: string[], rows: (string | number | undefined)[][]): void {
  const table = new Table({ head, style: { head: [], border: [] }, wordWrap: true });
  for (const row of rows) table.push(row.map((c) => (c === undefined ? '' : String(c))));
  console.log(table.toString());
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

export const shortDigest = (digest?: string) => (digest ? digest.replace('sha256:', '').slice(0, 12) : '');

export function ago(iso?: string, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 129600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** Progress for long waits, on stderr so `--json` output stays clean. */
export function progressLine(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
}
