/**
 * The Renovate and Flux examples in docs/examples follow tempered's unique
 * tags as documented: parsed as their tools read them, applied to tags
 * tempered makes, they pick the newest publish of the pinned moving tag and
 * never a moving tag, another moving tag's unique tag or a signature tag.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { uniqueTagOf } from './uniqueTag';

const EXAMPLES = path.join(__dirname, '../../docs/examples');
const tags = [
  'trixie', 'latest', 'trixie-dev', 'bookworm',
  uniqueTagOf('trixie', '2026-12-06T23:00:00Z', 9), uniqueTagOf('trixie', '2026-12-07T08:00:00Z', 10), uniqueTagOf('trixie', '2026-12-07T09:00:00Z', 11),
  uniqueTagOf('trixie-dev', '2026-12-08T09:00:00Z', 40), uniqueTagOf('bookworm', '2026-12-08T09:00:00Z', 50),
  `sha256-${'a'.repeat(64)}.sig`, `sha256-${'a'.repeat(64)}`,
];

test('the Renovate rule reads a unique tag as compatibility (the moving tag), major (day) and minor (cycle)', () => {
  const config = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'renovate.json'), 'utf8')) as { packageRules: { versioning: string; pinDigests: boolean }[] };
  const rule = config.packageRules[0]!;
  expect(rule.pinDigests).toBe(true);
  // Renovate's regex versioning: named groups; JavaScript needs no (?P<...>).
  const pattern = new RegExp(rule.versioning.replace(/^regex:/, ''));
  const parsed = tags.flatMap((t) => {
    const m = pattern.exec(t)?.groups;
    return m ? [{ tag: t, compatibility: m.compatibility, major: Number(m.major), minor: Number(m.minor) }] : [];
  });
  // Only unique tags are versions; Renovate only updates within one compatibility (the pinned moving tag).
  expect(parsed.map((p) => p.compatibility).sort()).toEqual(['bookworm', 'trixie', 'trixie', 'trixie', 'trixie-dev']);
  const newestTrixie = parsed.filter((p) => p.compatibility === 'trixie').sort((a, b) => b.major - a.major || b.minor - a.minor)[0];
  expect(newestTrixie?.tag).toBe('trixie-20261207.11');
});

test('the Flux ImagePolicy keeps to one moving tag and picks the highest cycle', () => {
  const docs = parseAllDocuments(fs.readFileSync(path.join(EXAMPLES, 'flux-imagepolicy.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; spec: Record<string, unknown> });
  const policy = docs.find((d) => d.kind === 'ImagePolicy')!.spec as { filterTags: { pattern: string; extract: string }; policy: { numerical: { order: string } } };
  expect(docs.find((d) => d.kind === 'ImageRepository')).toBeDefined();
  // Flux uses Go's regexp: (?P<name>...) is JavaScript's (?<name>...).
  const pattern = new RegExp(policy.filterTags.pattern.replace(/\(\?P</g, '(?<'));
  const extracted = tags.flatMap((t) => {
    const m = pattern.exec(t);
    return m ? [{ tag: t, value: Number(policy.filterTags.extract.replace(/\$(\w+)/g, (_, g: string) => m.groups?.[g] ?? '')) }] : [];
  });
  expect(extracted.map((e) => e.tag)).toEqual(['trixie-20261206.9', 'trixie-20261207.10', 'trixie-20261207.11']);
  expect(policy.policy.numerical.order).toBe('asc');
  expect(extracted.reduce((a, b) => (b.value > a.value ? b : a)).tag).toBe('trixie-20261207.11');
});
