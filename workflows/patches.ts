/**
 * Every `patched()` id the workflows use, in one place: what changed, so a
 * history recorded before it still replays on the code it ran on. An id can
 * be deprecated (`deprecatePatch`) once no open workflow and no kept history
 * predates it; test/replay/histories holds recordings from both sides.
 */
export const Patch = {
  /** A customization verifies a new base digest (signed provenance names its base, not older) before building on it. */
  verifyBaseChange: 'verify-base-change',
  /** Replies to cascade children go through the carried outbox and are awaited by the main loop (were fire-and-forget from handlers). */
  replyOutbox: 'reply-outbox',
  /** A cascade runs under its own coordinator workflow; the base does not wait for it (was awaited inside the cycle). */
  cascadeCoordinator: 'cascade-coordinator',
  /** The queued-advisory budget counts the running cycle's advisories (a failed cycle is carried with them). */
  queueBudgetWithCycle: 'queue-budget-with-cycle',
  /** A run continues as new past a history size in bytes too, not only an event count. */
  historyBytesLimit: 'history-bytes-limit',
  /** Catalog images are per Debian release: cascade coordinator ids carry it (`cascade:<name>:<release>:<variant>:…`). */
  releaseIds: 'release-ids',
  /** Catalog images of several architectures: a build per architecture on its own queue, one image index, each platform tested, scanned and signed. */
  imageIndex: 'image-index',
  /** A failed cycle and a newly waiting advisory start a notificationWorkflow by a local activity (a publish's and a rollback's come from the publish activity: no patch). */
  notifications: 'notifications',
} as const;
