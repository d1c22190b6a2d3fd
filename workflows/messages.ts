/**
 * The message API of the patch workflows, in one place so the workflows, the
 * CLI and the monitor share the exact names and payloads. The README shows
 * the same names used with plain `temporal workflow signal|query|update`.
 *
 * Signals carry facts that may arrive from anywhere at any time and need no
 * answer (an advisory, an upstream change, a new base digest): they queue in
 * workflow state. Updates carry requests whose caller needs an answer or a
 * reasoned refusal (rebuild, retry, pause, resume): their validators reject
 * without writing history.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { ADVISORY_LIMITS, type Advisory, debianVersionProblem, isSourcePackageName, parseAnyAdvisory } from '../domain/advisory/record';
import { DigestSchema } from '../domain/image';
import { excerpt } from '../domain/schema/errors';
import { z } from 'zod';
import { type CascadeProgress, jsonBytes, type PatchState } from '../domain/patch/state';

/** An advisory record (domain/advisory/record.ts) or the CLI shape `{id, source, fixedVersion?, severity?}`. */
export const advisorySignal = defineSignal<[unknown]>('advisory');
/** Newer versions of packages in the image were seen in the archive: `{packages: ["libssl3 3.0.16-1~deb12u1"]}`. */
export const upstreamSignal = defineSignal<[{ packages: string[] }]>('upstream');
/** A customization's base has a new digest; `replyTo` is the cascade child waiting for the outcome. */
export const baseChangedSignal = defineSignal<[{ baseDigest: string; replyTo?: string }]>('baseChanged');

export interface CascadeReply {
  outcome: string;
  digest?: string;
  detail?: string;
  image?: string;
}
/** Sent by a customization's workflow to the cascade child that asked for a rebuild. */
export const cascadeResultSignal = defineSignal<[CascadeReply]>('cascadeResult');

/** A cascade coordinator's progress, sent to the base image's workflow; `finished` on its last report. */
export interface CascadeProgressReport {
  coordinator: string;
  progress: CascadeProgress;
  finished?: boolean;
}
export const cascadeProgressSignal = defineSignal<[CascadeProgressReport]>('cascadeProgress');
/** Sent by the base image's workflow to its running cascade coordinator when it publishes a newer digest. */
export const supersedeSignal = defineSignal<[{ baseDigest: string }]>('supersede');

export const stateQuery = defineQuery<PatchState>('state');

export interface Requester {
  by: string;
}
export const rebuildUpdate = defineUpdate<{ cycle: number; queuedBehind?: number }, [Requester & { note?: string }]>('rebuild');
/** `allowDowngrade`: why on-call lets this cycle resolve packages older than the published image (recorded as a reason). */
export const retryUpdate = defineUpdate<{ cycle: number; failedStage: string }, [Requester & { allowDowngrade?: string }]>('retry');
export const pauseUpdate = defineUpdate<{ pausedAt: string; cycleInFlight?: number }, [Requester & { reason: string }]>('pause');
export const resumeUpdate = defineUpdate<{ resumedAt: string; queued: number }, [Requester]>('resume');
/**
 * Re-points the image's tag to an earlier published digest after verifying
 * its signature and provenance, recording who and why as a cycle of its own.
 * Refused while a cycle runs, for a digest this image never published, or for
 * the digest already published.
 */
export const rollbackUpdate = defineUpdate<{ cycle: number }, [Requester & { digest: string; reason: string }]>('rollback');

// ------------------------------------------------------------------ signal validation

/**
 * Signals have no validator in Temporal: whatever a sender (or a raw
 * `temporal workflow signal`) sends reaches the handler. These checks are the
 * workflow's own front door: a refused signal is recorded with the reason
 * (never thrown, never queued), so nothing it carries can reach a search
 * attribute, an activity input or the state continue-as-new carries. The
 * bounds are far above anything a real feed or the monitor sends.
 */
export const SIGNAL_LIMITS = {
  /** One advisory as queued (JSON), over and above the record's field limits (ADVISORY_LIMITS, checked by its schema): a kernel DSA with several hundred CVE aliases is about 10 KiB. */
  advisoryBytes: 32 * 1024,
  /** `upstream`: lines per signal, and what the carried request keeps (the cycle resolves everything newest anyway). */
  packages: 1000,
  packagesKept: 50,
  /** `baseChanged.replyTo`: a cascade child's workflow id, and how many children may wait for one customization's cycle. */
  workflowId: 256,
  waitingChildren: 50,
  /** `cascadeProgress`: customizations of one cascade, and one `<name>: <why>` line. */
  cascadeDependents: 1000,
  cascadeLine: 600,
} as const;

/** Update fields a person types (`by`, notes, reasons) are bounded too: they ride in the carried state. */
export const UPDATE_LIMITS = { by: 200, text: 2000, queuedRebuilds: 20 } as const;

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const tooLong = (field: string, length: number, max: number) => `${field}: is ${length} characters long; at most ${max} are allowed`;

/**
 * `advisory`: a full record (it has `status` and `origin`) or the CLI shape,
 * parsed by the domain schema (which bounds every field, ADVISORY_LIMITS),
 * then held to a size as queued. The reason names the field(s), `<field>: <problem>` joined with "; ".
 */
export function checkAdvisorySignal(payload: unknown): Checked<Advisory> {
  const parsed = parseAnyAdvisory(payload, 'signal advisory');
  if (!parsed.ok) return { ok: false, reason: parsed.problem.problem };
  const a = parsed.value;
  const bytes = jsonBytes(a);
  if (bytes > SIGNAL_LIMITS.advisoryBytes) return { ok: false, reason: `(record): is ${bytes} bytes as JSON; at most ${SIGNAL_LIMITS.advisoryBytes} are allowed` };
  return { ok: true, value: a };
}

/** `upstream`: `{packages: ["<name> <version>", ...]}`, one to SIGNAL_LIMITS.packages lines, each a package name and a Debian version. */
export function checkUpstreamSignal(payload: unknown): Checked<string[]> {
  const packages = typeof payload === 'object' && payload !== null ? (payload as { packages?: unknown }).packages : undefined;
  if (!Array.isArray(packages)) return { ok: false, reason: 'upstream: packages must be a list of "name version" strings' };
  if (packages.length === 0) return { ok: false, reason: 'upstream: packages is empty; name at least one "name version" line' };
  if (packages.length > SIGNAL_LIMITS.packages) return { ok: false, reason: `upstream: packages lists ${packages.length} lines; at most ${SIGNAL_LIMITS.packages} are allowed` };
  const problems: string[] = [];
  for (const [i, line] of packages.entries()) {
    const problem = packageLineProblem(line);
    if (problem) problems.push(`packages[${i}]: ${problem}`);
    if (problems.length === 3) break;
  }
  if (problems.length) return { ok: false, reason: `upstream: ${problems.join('; ')}` };
  return { ok: true, value: packages as string[] };
}

function packageLineProblem(line: unknown): string | undefined {
  if (typeof line !== 'string') return `must be a "name version" string, not ${line === null ? 'null' : Array.isArray(line) ? 'a list' : typeof line}`;
  const max = ADVISORY_LIMITS.source + 1 + ADVISORY_LIMITS.version;
  if (line.length > max) return `is ${line.length} characters long; at most ${max} are allowed`;
  const parts = line.split(' ');
  if (parts.length !== 2) return `${excerpt(line)} is not "name version" (one package name, one space, one version)`;
  const [name, version] = parts as [string, string];
  if (name.length > ADVISORY_LIMITS.source) return tooLong('name', name.length, ADVISORY_LIMITS.source);
  if (!isSourcePackageName(name)) return `${excerpt(name)} is not a Debian package name (lowercase letters, digits, "+", "-", ".", two or more)`;
  if (version.length > ADVISORY_LIMITS.version) return tooLong('version', version.length, ADVISORY_LIMITS.version);
  return debianVersionProblem(version);
}

/** `baseChanged`: `{baseDigest: "sha256:<64 hex>", replyTo?: "<cascade workflow id>"}`. */
export function checkBaseChangedSignal(payload: unknown): Checked<{ baseDigest: string; replyTo?: string }> {
  const change = typeof payload === 'object' && payload !== null ? (payload as { baseDigest?: unknown; replyTo?: unknown }) : undefined;
  if (!DigestSchema.safeParse(change?.baseDigest).success) {
    return { ok: false, reason: 'baseChanged: baseDigest must be a string sha256:<64 lowercase hex digits>' };
  }
  const { baseDigest, replyTo } = change as { baseDigest: string; replyTo?: unknown };
  if (replyTo === undefined || replyTo === null || replyTo === '') return { ok: true, value: { baseDigest } };
  if (typeof replyTo !== 'string' || replyTo.length > SIGNAL_LIMITS.workflowId) {
    return { ok: false, reason: `baseChanged: replyTo must be a workflow id of at most ${SIGNAL_LIMITS.workflowId} characters` };
  }
  return { ok: true, value: { baseDigest, replyTo } };
}

/** Update validators: a requester's name and free text are strings of bounded length. Throws the refusal. */
export function checkRequester(request: unknown, textFields: readonly string[] = []): void {
  const r = (typeof request === 'object' && request !== null ? request : {}) as Record<string, unknown>;
  if (typeof r.by !== 'string' || !r.by.trim()) throw new Error('by must name who asks (a non-empty string)');
  if (r.by.length > UPDATE_LIMITS.by) throw new Error(tooLong('by', r.by.length, UPDATE_LIMITS.by));
  for (const field of textFields) {
    const value = r[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new Error(`${field} must be a string`);
    if (value.length > UPDATE_LIMITS.text) throw new Error(tooLong(field, value.length, UPDATE_LIMITS.text));
  }
}

const cascadeLines = z.array(z.string().max(SIGNAL_LIMITS.cascadeLine)).max(SIGNAL_LIMITS.cascadeDependents);
const CascadeProgressReportSchema = z.object({
  coordinator: z.string().min(1).max(SIGNAL_LIMITS.workflowId),
  progress: z.object({
    baseDigest: DigestSchema,
    total: z.number().int().min(0).max(SIGNAL_LIMITS.cascadeDependents),
    done: z.number().int().min(0).max(SIGNAL_LIMITS.cascadeDependents),
    failed: cascadeLines,
    running: cascadeLines,
    deferred: cascadeLines.optional(),
    superseded: cascadeLines.optional(),
  }),
  finished: z.boolean().optional(),
});

/** `cascadeProgress`: the report of a coordinator (anyone can signal, so it is held to its shape and bounds). */
export function checkCascadeProgressSignal(payload: unknown): Checked<CascadeProgressReport> {
  const parsed = CascadeProgressReportSchema.safeParse(payload);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, reason: `cascadeProgress: ${issue?.path.join('.') || '(record)'}: ${issue?.message ?? 'invalid'}` };
}
