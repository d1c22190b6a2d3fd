/**
 * Whether a verified base digest may replace the base a customization is
 * built on (lib/signing/baseVerification.ts verifies signatures, then asks
 * this): its signed provenance must name the customization's base image,
 * release and variant (a release-less provenance was signed before releases,
 * for bookworm), and it must not be older than the current base, by the base
 * workflow's cycle where both have one, else by when they were built.
 */
export interface BaseFacts {
  image?: string;
  release?: string;
  variant?: string;
  cycle?: number;
  finishedOn?: string;
}

export function baseCandidateProblem(candidate: BaseFacts, expected: { image: string; release: string; variant: string }, current?: BaseFacts & { digest: string }): string | undefined {
  const release = candidate.release ?? 'bookworm';
  if (candidate.image !== expected.image || candidate.variant !== expected.variant || release !== expected.release) {
    const named = `${candidate.image ?? 'no image'} ${release}${candidate.variant ? ` ${candidate.variant}` : ''}`;
    return `its provenance names ${named}, not ${expected.image} ${expected.release} ${expected.variant}`;
  }
  if (!current) return undefined;
  if (candidate.cycle !== undefined && current.cycle !== undefined) {
    return candidate.cycle < current.cycle ? `it was published by cycle ${candidate.cycle}, older than cycle ${current.cycle} of the base it is on (${current.digest.slice(0, 19)})` : undefined;
  }
  if (candidate.finishedOn && current.finishedOn && Date.parse(candidate.finishedOn) < Date.parse(current.finishedOn)) {
    return `it was built at ${candidate.finishedOn}, before the base it is on (${current.finishedOn})`;
  }
  return undefined;
}
