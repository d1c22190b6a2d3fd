import type { ImageRef } from '../image';
import { initialState } from './queue';
import { describeState, type PatchState, waitsOnlyForEmulatedBuilds } from './state';

const building = (image: ImageRef, platforms: { architecture: 'amd64' | 'arm64'; digest?: string }[]): PatchState => ({
  ...initialState(image),
  phase: 'building',
  current: { number: 1, reasons: [{ kind: 'initial' }], startedAt: '2026-12-07T07:00:00.000Z', advisories: [], platforms },
});
const dev: ImageRef = { kind: 'catalog', name: 'node', release: 'trixie', variant: 'dev' };
const runtime: ImageRef = { ...dev, variant: 'runtime' };

test('a multi-platform build shows the platforms still building and those built', () => {
  expect(describeState(building(dev, [{ architecture: 'amd64', digest: 'sha256:a' }, { architecture: 'arm64' }]), 'node:trixie-dev')).toBe('node:trixie-dev - building arm64 (amd64 built)');
  expect(describeState(building(dev, [{ architecture: 'amd64' }, { architecture: 'arm64' }]), 'node:trixie-dev')).toBe('node:trixie-dev - building amd64, arm64');
});

test('only a dev image waiting for other architectures\' builds alone waits on emulated builds', () => {
  const armLeft = [{ architecture: 'amd64' as const, digest: 'sha256:a' }, { architecture: 'arm64' as const }];
  expect(waitsOnlyForEmulatedBuilds(building(dev, armLeft), 'amd64')).toBe(true);
  expect(waitsOnlyForEmulatedBuilds(building(dev, armLeft), 'arm64')).toBe(false);
  expect(waitsOnlyForEmulatedBuilds(building(dev, [{ architecture: 'amd64' }, { architecture: 'arm64' }]), 'amd64')).toBe(false);
  // A runtime image's arm64 build is package bytes, on the build queue: not emulated.
  expect(waitsOnlyForEmulatedBuilds(building(runtime, armLeft), 'amd64')).toBe(false);
});
