/**
 * Benchmark: impact analysis of 1,000 advisories against the whole catalog,
 * the work the monitor does on every poll besides I/O. The budget is
 * under 1 s.
 *
 * Realistic inputs, built from this machine's own bookworm indexes
 * (/var/lib/apt/lists, read through apt-helper so any compression works):
 * 10 images, each the dependency closure of a typical image's packages on
 * top of Debian's essential set (100-300 packages, as dev variants are), and
 * 1,000 advisories in the proportions of the Debian Security Tracker:
 * mostly fixed (some already in the image, some newer), some with no fix,
 * some not affected or undetermined, about 40% naming sources no image has.
 * A seeded generator makes every run judge the same inputs.
 *
 * Two figures, medians over repeated runs after a warm-up:
 * - impact: assessImpactOnImages (index each image by source, judge every pair);
 * - monitor decision: impact + archive offers + newer versions + the dedupe plan.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fixOffered, newerPackages } from '../lib/monitor/offers';
import { isDeliverable, planImage } from '../lib/monitor/plan';
import type { Advisory } from '../domain/advisory/record';
import { type BinaryPackage, PackageIndex, parsePackagesIndex } from '../domain/debian/packages';
import type { InstalledPackage } from '../domain/debian/status';
import { assessImpactOnImages } from '../domain/impact';

export interface BenchResult {
  name: string;
  /** The headline figure: median milliseconds of impact analysis for the whole catalog. */
  value: number;
  unit: 'ms';
  details: Record<string, number | string>;
}

export interface ImpactBenchOptions {
  listsDir?: string;
  advisories?: number;
  iterations?: number;
}

/** What typical images install on top of the essential set (plus apt, as dev variants have). */
const IMAGE_SEEDS: Record<string, string[]> = {
  base: ['apt', 'ca-certificates', 'tzdata', 'netbase', 'libssl3'],
  python: ['python3', 'python3-pip'],
  node: ['nodejs', 'npm'],
  jre: ['openjdk-17-jre-headless'],
  nginx: ['nginx', 'ca-certificates'],
  postgres: ['postgresql-15'],
  ruby: ['ruby', 'ruby-dev'],
  php: ['php8.2-cli', 'php8.2-fpm'],
  build: ['build-essential', 'git', 'curl'],
  tools: ['openssh-client', 'curl', 'git', 'jq', 'less'],
};

export function impactBench(options: ImpactBenchOptions = {}): BenchResult {
  const { index, essential } = loadLocalIndex(options.listsDir ?? '/var/lib/apt/lists');
  const images = Object.entries(IMAGE_SEEDS).map(([name, seeds]) => ({ id: `image:${name}:bookworm:dev`, packages: closure(index, [...essential, ...seeds]) }));
  const advisories = generateAdvisories(index, images, options.advisories ?? 1000);
  const iterations = options.iterations ?? 30;

  const impact = measure(iterations, () => assessImpactOnImages(advisories, images));
  const decision = measure(iterations, () => {
    const judged = assessImpactOnImages(advisories, images);
    const newer = newerPackages(images, index);
    const now = new Date();
    return images.map((image, i) =>
      planImage(undefined, {
        impacts: judged[i]?.impacts ?? [],
        fixOffered: ({ advisory, impact: verdict }) => fixOffered(verdict, advisory.fixedVersion, index),
        newerPackages: newer.get(image.id) ?? [],
      }, now),
    );
  });
  const judged = assessImpactOnImages(advisories, images);
  const pairs = judged.reduce((n, image) => n + image.impacts.length, 0);
  const affecting = judged.reduce((n, image) => n + image.impacts.filter((i) => isDeliverable(i.impact.verdict)).length, 0);
  const sizes = images.map((image) => image.packages.length).sort((a, b) => a - b);
  return {
    name: 'impact analysis, 1,000 advisories x catalog',
    value: round(impact.median),
    unit: 'ms',
    details: {
      advisories: advisories.length,
      images: images.length,
      packagesPerImage: `${sizes[0]}-${sizes.at(-1)} (total ${sizes.reduce((a, b) => a + b, 0)})`,
      pairsWithSourceInstalled: pairs,
      pairsAffecting: affecting,
      archiveSources: index.sources().size,
      impactMedianMs: round(impact.median),
      impactP95Ms: round(impact.p95),
      monitorDecisionMedianMs: round(decision.median),
      monitorDecisionP95Ms: round(decision.p95),
      iterations,
    },
  };
}

/** Every binary package of the local Packages lists (any compression, via apt-helper), and the Essential: yes names. */
function loadLocalIndex(listsDir: string): { index: PackageIndex; essential: string[] } {
  const files = fs.readdirSync(listsDir).filter((name) => /_Packages(\.(lz4|xz|gz|zst))?$/.test(name)).sort();
  if (files.length === 0) throw new Error(`no Packages lists in ${listsDir}: run apt-get update first`);
  const packages: BinaryPackage[] = [];
  for (const file of files) {
    const text = execFileSync('/usr/lib/apt/apt-helper', ['cat-file', path.join(listsDir, file)], { maxBuffer: 1 << 30 }).toString('utf8');
    const suite = /_dists_([^_]+)_/.exec(file)?.[1] ?? 'unknown';
    for (const pkg of parsePackagesIndex(text, { archive: 'local', suite, component: 'main' }).packages) packages.push(pkg);
  }
  // What every Debian root filesystem with dpkg has: the dev variants' floor.
  const essential = [...new Set(packages.filter((p) => p.essential).map((p) => p.name))].sort();
  return { index: new PackageIndex(packages), essential };
}

/** Depends and Pre-Depends closure, first alternative the archive has (or its first provider). */
function closure(index: PackageIndex, seeds: readonly string[]): InstalledPackage[] {
  const chosen = new Map<string, BinaryPackage>();
  const queue = [...seeds];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (chosen.has(name)) continue;
    const pkg = index.newest(name) ?? index.providers(name)[0];
    if (!pkg || chosen.has(pkg.name)) continue;
    chosen.set(pkg.name, pkg);
    for (const group of [...pkg.preDepends, ...pkg.depends]) {
      const pick = group.find((relation) => index.newest(relation.name) || index.providers(relation.name).length) ?? group[0];
      if (pick) queue.push(pick.name);
    }
  }
  return [...chosen.values()].map((p) => ({ name: p.name, version: p.version, architecture: p.architecture, source: p.source, sourceVersion: p.sourceVersion }));
}

/** Tracker-like mix: 70% fixed (a third each already fixed, same version, newer), 15% no fix, 10% not affected, 5% undetermined. */
function generateAdvisories(index: PackageIndex, images: readonly { packages: readonly InstalledPackage[] }[], count: number): Advisory[] {
  const random = mulberry32(20250520);
  const installed = new Map<string, string>();
  for (const image of images) for (const pkg of image.packages) installed.set(pkg.source, pkg.sourceVersion);
  const installedSources = [...installed.keys()].sort();
  const otherSources = [...index.sources()].filter((s) => !installed.has(s)).sort();
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const advisories: Advisory[] = [];
  for (let i = 0; i < count; i += 1) {
    const source = random() < 0.6 ? pick(installedSources) : pick(otherSources);
    const version = installed.get(source) ?? index.versions(source)[0]?.sourceVersion ?? '1.0-1';
    const roll = random();
    const base = { id: `CVE-2099-${String(10000 + i)}`, aliases: [], source, severity: pick(['low', 'medium', 'high', 'critical'] as const), origin: 'debian-tracker' as const };
    if (roll < 0.7) {
      const third = Math.floor(random() * 3);
      const fixedVersion = third === 0 ? '0.1-1' : third === 1 ? version : `${version}+deb12u99`;
      advisories.push({ ...base, status: 'fixed', fixedVersion });
    } else if (roll < 0.85) advisories.push({ ...base, status: 'no-fix', fixedVersion: null, reason: 'postponed' });
    else if (roll < 0.95) advisories.push({ ...base, status: 'not-affected', fixedVersion: null });
    else advisories.push({ ...base, status: 'undetermined', fixedVersion: null });
  }
  return advisories;
}

function measure(iterations: number, body: () => unknown): { median: number; p95: number } {
  for (let i = 0; i < 3; i += 1) body();
  const times: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const start = performance.now();
    body();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] ?? 0, p95: times[Math.min(times.length - 1, Math.floor(times.length * 0.95))] ?? 0 };
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

if (require.main === module) {
  const result = impactBench();
  console.log(`${result.name}: ${result.value} ${result.unit} (median)`);
  console.log(JSON.stringify(result.details, null, 2));
}
