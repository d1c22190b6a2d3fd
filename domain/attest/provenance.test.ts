import { buildProvenance, TEMPERED_BUILD_TYPE, type ProvenanceInput } from './provenance';

const input = (over: Partial<ProvenanceInput> = {}): ProvenanceInput => ({
  definition: { name: 'base', packages: ['libc6', 'tzdata'] },
  lockDigest: 'sha256:' + '1'.repeat(64),
  internal: { image: 'base', variant: 'runtime', cycle: 7 },
  packages: [
    { name: 'tzdata', version: '2025b-0+deb12u1', architecture: 'all', archive: 'http://deb.debian.org/debian/', filename: 'pool/main/t/tzdata/tzdata_2025b-0+deb12u1_all.deb', sha256: 'c'.repeat(64) },
    { name: 'libc6', version: '2.36-9+deb12u14', architecture: 'amd64', archive: 'http://deb.debian.org/debian', filename: 'pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb', sha256: 'a'.repeat(64) },
  ],
  builderId: 'https://tempered.dev/builders/temporal-worker/v1',
  invocation: { workflowId: 'image:base:runtime', runId: 'run-1' },
  startedOn: '2026-01-15T10:00:00Z',
  finishedOn: '2026-01-15T10:02:00Z',
  ...over,
});

test('builds a SLSA v1 predicate from the definition, the lock and every .deb', () => {
  expect(buildProvenance(input())).toEqual({
    buildDefinition: {
      buildType: TEMPERED_BUILD_TYPE,
      externalParameters: { definition: { name: 'base', packages: ['libc6', 'tzdata'] }, lockDigest: 'sha256:' + '1'.repeat(64) },
      internalParameters: { image: 'base', variant: 'runtime', cycle: 7 },
      resolvedDependencies: [
        { uri: 'http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb', digest: { sha256: 'a'.repeat(64) }, name: 'libc6' },
        { uri: 'http://deb.debian.org/debian/pool/main/t/tzdata/tzdata_2025b-0+deb12u1_all.deb', digest: { sha256: 'c'.repeat(64) }, name: 'tzdata' },
      ],
    },
    runDetails: {
      builder: { id: 'https://tempered.dev/builders/temporal-worker/v1' },
      metadata: { invocationId: 'image:base:runtime/run-1', startedOn: '2026-01-15T10:00:00Z', finishedOn: '2026-01-15T10:02:00Z' },
    },
  });
});

test('lists the base image of a customization first, by digest', () => {
  const p = buildProvenance(input({ baseImage: { repository: '127.0.0.1:5000/tempered/base', tag: 'bookworm', digest: 'sha256:' + 'f'.repeat(64) } }));
  expect(p.buildDefinition.resolvedDependencies[0]).toEqual({ uri: 'oci://127.0.0.1:5000/tempered/base:bookworm', digest: { sha256: 'f'.repeat(64) }, name: 'base-image' });
  expect(p.buildDefinition.resolvedDependencies).toHaveLength(3);
});

test('is a function of its input: package order does not matter', () => {
  const reversed = input();
  reversed.packages = [...reversed.packages].reverse();
  expect(buildProvenance(reversed)).toEqual(buildProvenance(input()));
});

test.each([
  ['a finish before the start', { finishedOn: '2026-01-15T09:00:00Z' }, 'finishedOn'],
  ['a lock digest that is not one', { lockDigest: 'abc' }, 'lockDigest'],
  ['a builder id that is not a URI', { builderId: 'tempered' }, 'builderId'],
  ['a local time without offset', { startedOn: '2026-01-15 10:00' }, 'startedOn'],
])('rejects %s, naming the field', (_what, over, field) => {
  expect(() => buildProvenance(input(over as Partial<ProvenanceInput>))).toThrow(expect.objectContaining({ code: 'INVALID_PROVENANCE_INPUT', message: expect.stringContaining(field) }));
});
