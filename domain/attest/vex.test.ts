import type { Advisory } from '../advisory/record';
import type { HandledAdvisory, WaitingAdvisory } from '../patch/state';
import { buildOpenVex, OPENVEX_CONTEXT, VEX_RECORD_LIMITS, vexRecords, vexStatusCounts, type VexInput } from './vex';

const digest = 'sha256:' + '9'.repeat(64);
const advisory = (id: string, source: string, over: Partial<Advisory> = {}): Advisory => ({
  id,
  aliases: [],
  source,
  fixedVersion: null,
  status: 'no-fix',
  severity: 'high',
  origin: 'osv',
  ...over,
});

const handled: HandledAdvisory[] = [
  { advisory: advisory('CVE-2024-5535', 'openssl', { aliases: ['DSA-5757-1'] }), verdict: { status: 'fixed', version: '3.0.15-1~deb12u1', inCycle: 4 }, at: '2026-01-15T10:00:00Z' },
  { advisory: advisory('CVE-2023-4039', 'gcc-12'), verdict: { status: 'not_affected', justification: 'component_not_present', detail: 'gcc-12 is not installed' }, at: '2026-01-14T10:00:00Z' },
];
const waiting: WaitingAdvisory[] = [{ advisory: advisory('CVE-2025-0001', 'glibc'), why: 'no fix in bookworm yet', installedVersion: '2.36-9+deb12u14', since: '2026-01-13T10:00:00Z' }];

type Over = Partial<Omit<VexInput, 'records'>> & { handled?: HandledAdvisory[]; waiting?: WaitingAdvisory[] };
const input = ({ handled: h = handled, waiting: w = waiting, ...over }: Over = {}): VexInput => ({
  image: { repositoryUrl: '127.0.0.1:5000/tempered/base', digest },
  records: vexRecords(h, w),
  packages: [
    { name: 'libssl3', version: '3.0.15-1~deb12u1', architecture: 'amd64', source: 'openssl' },
    { name: 'openssl', version: '3.0.15-1~deb12u1', architecture: 'amd64', source: 'openssl' },
    { name: 'libc6', version: '2.36-9+deb12u14', architecture: 'amd64', source: 'glibc' },
  ],
  author: 'tempered',
  timestamp: '2026-01-15T10:05:00Z',
  ...over,
});

test('one statement per advisory with the status the workflow decided', () => {
  const doc = buildOpenVex(input());
  expect(doc['@context']).toBe(OPENVEX_CONTEXT);
  expect(doc.version).toBe(1);
  const product = 'pkg:oci/base@sha256:' + '9'.repeat(64) + '?repository_url=127.0.0.1%3A5000%2Ftempered%2Fbase';
  expect(doc.statements).toEqual([
    {
      vulnerability: { name: 'CVE-2023-4039' },
      timestamp: '2026-01-14T10:00:00Z',
      products: [{ '@id': product, identifiers: { purl: product }, hashes: { 'sha-256': '9'.repeat(64) } }],
      status: 'not_affected',
      justification: 'component_not_present',
      impact_statement: 'gcc-12 is not installed',
    },
    {
      vulnerability: { name: 'CVE-2024-5535', aliases: ['DSA-5757-1'] },
      timestamp: '2026-01-15T10:00:00Z',
      products: [
        {
          '@id': product,
          identifiers: { purl: product },
          hashes: { 'sha-256': '9'.repeat(64) },
          subcomponents: [
            { '@id': 'pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12' },
            { '@id': 'pkg:deb/debian/openssl@3.0.15-1~deb12u1?arch=amd64&distro=debian-12' },
          ],
        },
      ],
      status: 'fixed',
      status_notes: 'Fixed in openssl 3.0.15-1~deb12u1; the image was rebuilt with it in patch cycle 4.',
    },
    {
      vulnerability: { name: 'CVE-2025-0001' },
      timestamp: '2026-01-13T10:00:00Z',
      products: [{ '@id': product, identifiers: { purl: product }, hashes: { 'sha-256': '9'.repeat(64) }, subcomponents: [{ '@id': 'pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64&distro=debian-12' }] }],
      status: 'under_investigation',
      status_notes: 'no fix in bookworm yet (installed glibc 2.36-9+deb12u14)',
    },
  ]);
  expect(vexStatusCounts(doc)).toEqual({ not_affected: 1, affected: 0, fixed: 1, under_investigation: 1 });
});

test('an advisory still waiting is under investigation whatever an older cycle said; the latest verdict wins otherwise', () => {
  const older: HandledAdvisory = { advisory: advisory('CVE-2024-5535', 'openssl'), verdict: { status: 'under_investigation', detail: 'waiting' }, at: '2026-01-01T00:00:00Z' };
  const doc = buildOpenVex(input({ handled: [...handled, older], waiting: [...waiting, { advisory: advisory('CVE-2023-4039', 'gcc-12'), why: 'reopened', since: '2026-01-15T11:00:00Z' }] }));
  expect(doc.statements.map((s) => [s.vulnerability.name, s.status])).toEqual([
    ['CVE-2023-4039', 'under_investigation'],
    ['CVE-2024-5535', 'fixed'],
    ['CVE-2025-0001', 'under_investigation'],
  ]);
});

test('the same verdicts give the same document, @id included; different ones a different @id', () => {
  const a = buildOpenVex(input());
  expect(buildOpenVex(input({ handled: [...handled].reverse() }))).toEqual(a);
  expect(buildOpenVex(input({ waiting: [] }))['@id']).not.toBe(a['@id']);
  expect(a['@id']).toMatch(/^https:\/\/tempered\.dev\/vex\/[0-9a-f]{64}$/);
});

test('refuses a document without a proper timestamp or author', () => {
  expect(() => buildOpenVex(input({ timestamp: 'yesterday' }))).toThrow(expect.objectContaining({ code: 'INVALID_VEX_INPUT' }));
  expect(() => buildOpenVex(input({ author: ' ' }))).toThrow(expect.objectContaining({ code: 'INVALID_VEX_INPUT' }));
});

test('records are small whatever the advisory held: ids-sized aliases only, bounded notes', () => {
  const big = advisory('DSA-5999-1', 'openssl', {
    aliases: [...Array.from({ length: 200 }, (_, i) => `CVE-2026-${String(10000 + i)}`), 'x'.repeat(128)],
    reason: 'r'.repeat(4096),
  });
  const [record] = vexRecords([], [{ advisory: big, why: `no fix yet (${'r'.repeat(4096)})`, since: '2026-01-13T10:00:00Z' }]);
  expect(record?.aliases).toHaveLength(VEX_RECORD_LIMITS.aliases);
  expect(record?.aliases?.every((a) => a.startsWith('CVE-'))).toBe(true);
  expect(record?.note?.length).toBe(VEX_RECORD_LIMITS.note);
  expect(JSON.stringify(record).length).toBeLessThan(2000);
});
