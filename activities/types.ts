/**
 * The contract between the patch workflows and the activities: inputs and
 * results of each stage. Only ids, refs, digests and small records cross it
 * (never tarballs, keys or passwords), because every value here is written
 * into workflow history.
 */
import type { Architecture } from '../domain/platform';
import type { Advisory } from '../domain/advisory/record';
import type { ImageRef } from '../domain/image';
import type { ScanVerdict } from '../domain/impact';
import type { VexRecord } from '../domain/attest/vex';
import type { ChangelogRequest } from '../domain/changelog/changelog';
import type { ImageEvent } from '../domain/notify/events';
import type { HandledAdvisory, WaitingAdvisory } from '../domain/patch/state';

export interface ResolveInput {
  image: ImageRef;
  /** `locked`: keep the previous lock while the archive (or the deb cache) still serves it. `latest`: newest of everything. */
  mode: 'locked' | 'latest';
  previousLockDigest?: string;
  /** Source packages whose locked version the caller wants back (the advisories' sources). */
  sources: string[];
  /** Customizations: the base image digest to resolve on; the base's published tag when absent. */
  baseDigest?: string;
  /** The newest archive state this image has trusted, per suite (`<archive> <suite>` -> Release Date): an older one is refused. */
  trustedReleases?: Record<string, string>;
  /** An on-call request allowed this cycle to resolve a package older than the published lock has (who and why are in the cycle's reasons). */
  allowDowngrade?: boolean;
}

export interface ResolveResult {
  lockDigest: string;
  /** "libssl3 3.0.15-1~deb12u1 -> 3.0.16-1~deb12u1", at most 50 lines. */
  changes: string[];
  /** Locked entries the archive no longer offers (upstream change, reported by name). */
  unavailable: string[];
  /** Source name -> source version in this variant, for the requested sources only. */
  sourceVersions: Record<string, string>;
  packageCount: number;
  /** Customizations: the base image digest the lock was resolved on (the one given, or the tag's). */
  baseDigest?: string;
  /** When the archive was read: the trusted states after this resolve (what was given, newer dates merged in). */
  trustedReleases?: Record<string, string>;
  /**
   * Catalog images: the architectures to build, each to its own platform manifest, then one image index
   * (the lock's architectures this deployment publishes, TEMPERED_ARCHITECTURES). Absent: one amd64 image.
   */
  architectures?: Architecture[];
}

export interface BuildInput {
  image: ImageRef;
  lockDigest: string;
  /** Absent: DEFAULT_ARCHITECTURE (what inputs recorded before architectures built). */
  architecture?: Architecture;
  /** Customizations: the base image digest to build on. */
  baseDigest?: string;
}

export interface BuildResult {
  digest: string;
  lockDigest: string;
  repository: string;
  size: number;
  compressedSize: number;
  packageCount: number;
  /** How many layers the image has, and how many this build wrote (the rest were unchanged and reused by digest). */
  layers?: number;
  layersWritten?: number;
  /** Customizations: the verified base image digest the image was built on (the one given, or the tag's). */
  baseDigest?: string;
}

/** One platform manifest of a multi-platform image, as built. */
export interface PlatformImage {
  architecture: Architecture;
  digest: string;
}

export interface AssembleIndexInput {
  image: ImageRef;
  lockDigest: string;
  platforms: PlatformImage[];
}

export interface AssembleIndexResult {
  digest: string;
  size: number;
}

export interface TestInput {
  image: ImageRef;
  digest: string;
}

export interface TestResult {
  reportDigest: string;
  passed: number;
  failed: number;
  failures: string[];
}

export interface ScanInput {
  image: ImageRef;
  digest: string;
  advisories: Advisory[];
}

export interface ScanResult {
  sbomDigest: string;
  packageCount: number;
  verdicts: ScanVerdict[];
}

interface SignCommon {
  image: ImageRef;
  digest: string;
  /** The image's advisory verdicts as small bounded records (domain/attest/vex.ts), never the advisories themselves. */
  vex?: VexRecord[];
  /** Inputs scheduled by workers before VEX records (an upgrade mid-cycle): the activity derives the records. */
  handled?: HandledAdvisory[];
  waiting?: WaitingAdvisory[];
  /** Times come from the workflow, never the worker's clock: a retried signing must produce the same statements. */
  invocation: { workflowId: string; runId: string; cycle: number; startedOn: string; finishedOn: string };
  /** The subject to be published (not each platform manifest of an index): its changelog is attested too. */
  changelog?: ChangelogRequest;
}

/** A platform image (or a single-platform one) with its SBOM and test report, as blobs. */
export interface SignImageInput extends SignCommon {
  sbomDigest: string;
  reportDigest: string;
  platforms?: undefined;
}

/**
 * An image index, after each of its platform manifests was signed with its own SBOM and test report:
 * the index's SBOM and test results are theirs merged.
 */
export interface SignIndexInput extends SignCommon {
  platforms: (PlatformImage & { sbomDigest: string; reportDigest: string })[];
}

export type SignInput = SignImageInput | SignIndexInput;

export interface SignResult {
  signature: 'created' | 'existing';
  attestations: string[];
  /** The changelog's one-line summary, when one was attested (for notifications). */
  changelog?: string;
}

export interface PublishInput {
  image: ImageRef;
  digest: string;
  /** A patch's publish also tags `<tag>-<YYYYMMDD>.<cycle>` (domain/tags/uniqueTag.ts); a rollback has none and moves the moving tag only. */
  unique?: { publishedAt: string; cycle: number };
  /** `image.published` or `image.rolled-back`: started once the tag moved (lib/notify/notifier.ts). */
  event?: ImageEvent;
}

export interface PublishResult {
  reference: string;
  tag: string;
  previousDigest?: string;
  moved: boolean;
  /** The tag that names this publish for good. */
  uniqueTag?: string;
}

export interface VerifyBaseInput {
  /** The customization. */
  image: ImageRef;
  baseDigest: string;
  /** The base digest it is built on now: the candidate must not be older. */
  currentBaseDigest?: string;
}

export interface Activities {
  resolveLock(input: ResolveInput): Promise<ResolveResult>;
  buildImage(input: BuildInput): Promise<BuildResult>;
  assembleIndex(input: AssembleIndexInput): Promise<AssembleIndexResult>;
  testImage(input: TestInput): Promise<TestResult>;
  scanImage(input: ScanInput): Promise<ScanResult>;
  signImage(input: SignInput): Promise<SignResult>;
  publishImage(input: PublishInput): Promise<PublishResult>;
  listDependents(input: { image: ImageRef }): Promise<string[]>;
  verifyBase(input: VerifyBaseInput): Promise<{ digest: string; builder: string; cycle?: number }>;
  /** Verifies the signature and provenance of a digest this image published (before a rollback). */
  verifyPublished(input: { image: ImageRef; digest: string }): Promise<{ digest: string; builder: string }>;
  /** Signals (with start) a customization's workflow that its base changed. */
  notifyImage(input: { image: ImageRef; baseDigest: string; replyTo: string }): Promise<void>;
}

export { ErrorType } from '../domain/patch/errors';

// ---------------------------------------------------------------- upstream monitor (activities/monitor.ts)
// Run by monitorWorkflow (workflows/monitor.ts) on a Temporal Schedule. The
// report is deliberately small: counts and ids only, since it is written into
// the history of every scheduled run.

export interface PollUpstreamInput {
  /** Advisory feed locations: absolute paths or http(s) URLs. In history, so never with credentials. */
  feeds: string[];
}

export interface PollReport {
  /** The verified archive this poll compared against: suite names and how many packages they offer. */
  archive: { suites: string[]; packages: number };
  feeds: { configured: number; loaded: number; advisories: number; skipped: number };
  /** Running image workflows, those whose published image was read, and those not published yet (skipped). */
  images: { running: number; checked: number; unpublished: number };
  advisories: {
    /** (image, advisory) pairs that affect an image now: affected, no fix yet or undetermined. */
    affecting: number;
    /** Delivered for the first time. */
    sent: number;
    /**
     * Delivered again because the archive now offers the fix: once when it arrives after the first
     * delivery, and once more per cycle that still leaves the image waiting for it (monitor/plan.ts).
     */
    nudged: number;
    /** Delivered earlier and now marked not affected by Debian: sent so the image stops waiting for it. */
    retracted: number;
    /** Delivered by an earlier poll and unchanged: not sent again. */
    remembered: number;
  };
  /** Newer package versions in the archive (`name version`), delivered as one `upstream` signal per image. */
  upstream: { sent: number; remembered: number };
  /** Workflow ids that received at least one signal (at most 50). */
  signalled: string[];
  problems: number;
  /** The first problems, one line each; the worker log has every one. */
  problemSamples: string[];
  /** Something could not be read this time (a feed, an image): a retry or the next poll picks it up. */
  incomplete: boolean;
}

export interface MonitorActivities {
  pollUpstream(input: PollUpstreamInput): Promise<PollReport>;
}

/**
 * Error types pollUpstream throws as ApplicationFailures. The monitor
 * workflow branches on these names; it imports the type only (workflows do
 * not import activity values), so the names themselves are the contract.
 */
export const MonitorErrorType = {
  /** The archive's InRelease has a bad signature, is expired or describes another suite: nothing is signalled. */
  archiveUntrusted: 'ArchiveUntrusted',
  /** TEMPERED_ARCHIVE or the poll input is invalid: retrying cannot help. */
  misconfigured: 'MonitorMisconfigured',
  /** A feed or an image could not be read; everything else was delivered. Details: [PollReport]. */
  incomplete: 'UpstreamIncomplete',
} as const;
export type MonitorErrorName = (typeof MonitorErrorType)[keyof typeof MonitorErrorType];
