/**
 * What the monitor has already told each image workflow, so an unchanged feed
 * signals nothing: one small JSON file, `<stateDir>/monitor/sent.json`.
 *
 * The file is an optimisation of history, not a source of truth: the patch
 * workflow dedupes advisories by key itself, so losing this file (or two
 * workers each keeping their own) costs duplicate signals, never a missed
 * advisory. That is why an unreadable file is set aside and replaced rather
 * than failing the poll.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ADVISORY_STATUSES } from '../../domain/advisory/record';

export const MEMORY_VERSION = 1;

const isoTime = z.iso.datetime({ offset: true });

const advisoryEntrySchema = z.strictObject({
  status: z.enum(ADVISORY_STATUSES),
  /** Whether the archive offered the fixed version when this key was last delivered. */
  fixOffered: z.boolean(),
  sentAt: isoTime,
  /** Last poll that found this advisory affecting the image; old entries are forgotten (see forgetStale). */
  seenAt: isoTime,
});

const packageEntrySchema = z.strictObject({ sentAt: isoTime, seenAt: isoTime });

const imageMemorySchema = z.strictObject({
  /**
   * By advisoryKey: `CVE-2024-1234/openssl@3.0.15-1~deb12u1#bookworm`, one per
   * release (keys from before releases have no `#release`; plan.ts takes them over).
   */
  advisories: z.record(z.string(), advisoryEntrySchema),
  /** By `name version` of a newer package the archive offers. */
  packages: z.record(z.string(), packageEntrySchema),
});

export const monitorMemorySchema = z.strictObject({
  version: z.literal(MEMORY_VERSION),
  /** By workflow id: `image:base:runtime`, `custom:app`. */
  images: z.record(z.string(), imageMemorySchema),
});

export type AdvisoryMemory = z.infer<typeof advisoryEntrySchema>;
export type PackageMemory = z.infer<typeof packageEntrySchema>;
export type ImageMemory = z.infer<typeof imageMemorySchema>;
export type MonitorMemory = z.infer<typeof monitorMemorySchema>;

export function emptyMemory(): MonitorMemory {
  return { version: MEMORY_VERSION, images: {} };
}

export function emptyImageMemory(): ImageMemory {
  return { advisories: {}, packages: {} };
}

export function memoryFile(stateDir: string): string {
  return path.join(stateDir, 'monitor', 'sent.json');
}

export interface ReadMemory {
  memory: MonitorMemory;
  /** Set when the file existed but could not be used: where it was moved and why. */
  discarded?: { movedTo: string; problem: string };
}

/**
 * Reads the memory; a missing file is an empty memory. A file that is not
 * valid JSON or does not match the schema is renamed `sent.json.bad-<time>`
 * (kept for a post-mortem) and the poll starts from an empty memory.
 */
export function readMemory(file: string, now = new Date()): ReadMemory {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { memory: emptyMemory() };
    throw error;
  }
  const problem = memoryProblem(text);
  if (problem === undefined) return { memory: monitorMemorySchema.parse(JSON.parse(text)) };
  const movedTo = `${file}.bad-${now.toISOString().replace(/[:.]/g, '')}`;
  fs.renameSync(file, movedTo);
  return { memory: emptyMemory(), discarded: { movedTo, problem } };
}

function memoryProblem(text: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const result = monitorMemorySchema.safeParse(json);
  if (result.success) return undefined;
  return result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/**
 * Writes the whole memory atomically: a temp file in the same directory,
 * flushed, then renamed over the old one. A worker killed mid-write leaves
 * the previous memory intact, never half a file.
 */
export function writeMemory(file: string, memory: MonitorMemory): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(memory)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Entries not seen affecting an image for this long are forgotten: a later sighting is delivered again. */
export const FORGET_AFTER_DAYS = 30;

/**
 * Drops entries last seen before the cut-off, and images left with none.
 * Forgetting is safe (the workflow dedupes what it already knows) and keeps
 * the file proportional to what currently affects the images.
 */
export function forgetStale(memory: MonitorMemory, now: Date, days = FORGET_AFTER_DAYS): MonitorMemory {
  const cutoff = now.getTime() - days * 24 * 3600 * 1000;
  const fresh = <T extends { seenAt: string }>(entries: Record<string, T>) =>
    Object.fromEntries(Object.entries(entries).filter(([, entry]) => Date.parse(entry.seenAt) >= cutoff));
  const images: MonitorMemory['images'] = {};
  for (const [id, image] of Object.entries(memory.images)) {
    const kept = { advisories: fresh(image.advisories), packages: fresh(image.packages) };
    if (Object.keys(kept.advisories).length > 0 || Object.keys(kept.packages).length > 0) images[id] = kept;
  }
  return { version: MEMORY_VERSION, images };
}

/**
 * One poll at a time per memory file in this process. The Schedule's SKIP
 * policy already prevents overlapping runs; this covers an activity retried
 * while its previous attempt, presumed dead, is still running here.
 */
const running = new Map<string, Promise<unknown>>();

export async function exclusive<T>(file: string, body: () => Promise<T>): Promise<T> {
  for (let busy = running.get(file); busy !== undefined; busy = running.get(file)) await busy.catch(() => undefined);
  const work = body();
  running.set(file, work);
  try {
    return await work;
  } finally {
    if (running.get(file) === work) running.delete(file);
  }
}
