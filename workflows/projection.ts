/**
 * What a row in the Temporal UI says about an image: its search attributes
 * (ImageName, ImageVariant, PatchPhase, PendingAdvisories, PublishedDigest)
 * and current details ("base:bookworm runtime - building for CVE-…").
 * Each upsert is a history event, so only what changed is sent: 1,000
 * signals do not cost 1,000 events. A new run starts from the attributes its
 * previous run left (continue-as-new carries them over).
 */
import * as wf from '@temporalio/workflow';
import { displayName, type ImageRef } from '../domain/image';
import {
  ImageNameKey, ImageVariantKey, PatchPhaseKey, PendingAdvisoriesKey, pendingAdvisoriesValue, PublishedDigestKey,
} from '../domain/patch/searchAttributes';
import { describeState, openAdvisoryIds, type PatchPhase, type PatchState } from '../domain/patch/state';

interface Announced {
  name: string;
  variant: string;
  phase: PatchPhase;
  pending: string[];
  digest?: string;
}

export class Projection {
  private announced?: Announced;

  constructor(private readonly image: ImageRef) {}

  announce(state: PatchState): void {
    const next: Announced = {
      name: this.image.name,
      variant: this.image.kind === 'catalog' ? this.image.variant : 'custom',
      phase: state.phase,
      // Bounded: a value over 2 KiB would get the workflow terminated (see searchAttributes.ts).
      pending: pendingAdvisoriesValue(openAdvisoryIds(state)),
      digest: state.published?.digest,
    };
    const last = (this.announced ??= inherited());
    const changed = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
    const updates = [
      ...(changed(last.name, next.name) ? [{ key: ImageNameKey, value: next.name }] : []),
      ...(changed(last.variant, next.variant) ? [{ key: ImageVariantKey, value: next.variant }] : []),
      ...(changed(last.phase, next.phase) ? [{ key: PatchPhaseKey, value: next.phase }] : []),
      ...(changed(last.pending, next.pending) ? [{ key: PendingAdvisoriesKey, value: next.pending }] : []),
      ...(next.digest && changed(last.digest, next.digest) ? [{ key: PublishedDigestKey, value: next.digest }] : []),
    ];
    if (updates.length) wf.upsertSearchAttributes(updates);
    this.announced = next;
    wf.setCurrentDetails(describeState(state, displayName(this.image)));
  }
}

/**
 * What the previous run left, or the client set at the start, read from the attributes' values alone.
 * Not from typedSearchAttributes: its types come from `type` metadata the server adds when it sends a
 * history, from its own cache of the namespace's attributes. A server that has not refreshed that cache
 * yet (a cluster in the seconds after `tempered up` registered the attributes) sends them untyped,
 * typedSearchAttributes drops them, and the run's first upsert differs from what a replay of the same
 * history does once the server types them: a nondeterminism error, and the workflow stuck. Seen on the
 * PostgreSQL cluster (bench scale-cluster); test/replay/histories/untyped-start-attributes replays it.
 */
function inherited(): Announced {
  // The untyped view, deprecated in the SDK for the reason above being rare; here it is the point.
  const sa = wf.workflowInfo().searchAttributes;
  const keyword = (key: { name: string }) => sa[key.name]?.[0] as string | undefined;
  return {
    name: keyword(ImageNameKey) ?? '',
    variant: keyword(ImageVariantKey) ?? '',
    phase: (keyword(PatchPhaseKey) ?? '') as PatchPhase,
    pending: (sa[PendingAdvisoriesKey.name] as string[] | undefined) ?? [],
    digest: keyword(PublishedDigestKey),
  };
}
