/**
 * The resolve stage alone (the resolveLock activity, called in process as a
 * worker calls it) for runtime `base` from the real Debian archive and the
 * local signed repository: the first resolve of a worker (every index
 * downloaded or read from the cache and parsed), then resolves with nothing
 * changed upstream (a conditional look at each InRelease and a lookup), then
 * resolves right after the local repository published a new version (its
 * InRelease changed: only its Packages file is read and parsed again).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveActivity } from '../activities/resolve';
import type { ResolveInput } from '../activities/types';
import { parseConfig } from '../domain/config';
import { createContext } from '../lib/context';
import { canaryPackage, startUpstream, writeCatalog } from '../test/support/upstream';
import { canaryBaseDefinition } from './canaryBase';
import { type BenchSection, machineLine, median } from './report';

const UNCHANGED = 15;
const CHANGED = 5;
/** The archive reload alone, measured on this machine before parsed indexes were kept per Packages file (2026-12-07): the whole release re-parsed. */
const BEFORE_CHANGED_MS = 800;

const ms = (value: number) => `${Math.round(value)} ms`;
const p95 = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1] as number;

export async function resolveBench(repoRoot: string): Promise<BenchSection> {
  const upstream = await startUpstream([canaryPackage('1.0-1')]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-bench-resolve-'));
  try {
    const config = parseConfig({
      TEMPERED_STATE_DIR: path.join(work, 'state'),
      TEMPERED_CATALOG_DIR: writeCatalog({ base: canaryBaseDefinition(repoRoot) }),
      TEMPERED_ARCHIVE: upstream.archive,
    });
    const resolve = resolveActivity(createContext(config));
    const input: ResolveInput = { image: { kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' }, mode: 'latest', sources: [] };
    const timed = async () => {
      const started = performance.now();
      await resolve(input);
      return performance.now() - started;
    };
    const first = await timed();
    const unchanged: number[] = [];
    for (let i = 0; i < UNCHANGED; i++) unchanged.push(await timed());
    const changed: number[] = [];
    for (let i = 2; i < CHANGED + 2; i++) {
      await upstream.repo.publish([canaryPackage(`1.0-${i}`)]);
      changed.push(await timed());
    }
    return {
      id: 'resolve',
      title: 'Resolve: runtime base from the Debian archive and a local repository',
      markdown: [
        `${machineLine()}. The resolveLock activity called in process, as a worker calls it; the archive is bookworm, bookworm-updates,`,
        'bookworm-security (the live mirror) and the local signed repository, whose InRelease is read and verified (gpgv) on every resolve.',
        '',
        `**Nothing changed upstream: ${ms(median(unchanged))} median** (p95 ${ms(p95(unchanged))}, ${UNCHANGED} resolves). **One suite changed: ${ms(median(changed))} median**`,
        `(${CHANGED} resolves, each right after the local repository published a new version); before, the archive reload alone took ${ms(BEFORE_CHANGED_MS)}: ${(BEFORE_CHANGED_MS / median(changed)).toFixed(1)}x at least.`,
        '',
        '| resolve | median | p95 |',
        '| --- | --- | --- |',
        `| first in a worker (an empty cache: every index downloaded, verified and parsed) | ${ms(first)} | |`,
        `| nothing changed upstream | ${ms(median(unchanged))} | ${ms(p95(unchanged))} |`,
        `| one suite's InRelease changed (its Packages file read and parsed again, the others kept) | ${ms(median(changed))} | ${ms(p95(changed))} |`,
        '',
        'Before, a changed InRelease anywhere re-read and re-parsed every Packages file of the release (bookworm main alone: 63,440',
        'stanzas, 600 ms) and rebuilt the whole index. Now each Packages file is kept parsed and indexed by its content, and',
        'MergedPackageIndex merges them name by name when a name is looked up.',
      ].join('\n'),
    };
  } finally {
    await upstream.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
