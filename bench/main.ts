/**
 * `npm run bench [-- NAME ...]`: runs the benchmarks and writes their
 * sections into docs/BENCHMARKS.md. Each bench starts its own real parts.
 */
import * as path from 'node:path';
import { advisoryToPublishBench } from './advisoryToPublish';
import { cascadeBench } from './cascade';
import { cliBench } from './cli';
import { impactBench } from './impact';
import { layersBench } from './layers';
import { preflight } from './preflight';
import { resolveBench } from './resolve';
import { runtimesBench } from './runtimes';
import { type BenchSection, machineLine, writeSections } from './report';
import { scaleBench, scaleClusterBench } from './scale';
import { sizesBench } from './sizes';

const ROOT = path.resolve(__dirname, '..');

const BENCHES: Record<string, () => Promise<BenchSection>> = {
  'advisory-to-publish': () => advisoryToPublishBench(ROOT),
  resolve: () => resolveBench(ROOT),
  sizes: () => sizesBench(ROOT),
  layers: () => layersBench(ROOT),
  cascade: () => cascadeBench(ROOT),
  scale: () => scaleBench(ROOT),
  'scale-cluster': () => scaleClusterBench(ROOT),
  runtimes: () => runtimesBench(ROOT),
  cli: () => cliBench(ROOT),
  impact: async () => {
    const r = impactBench();
    return {
      id: 'impact',
      title: 'Impact analysis: 1,000 advisories against the whole catalog',
      markdown: `${machineLine()}.\n\n**${r.value.toFixed(1)} ${r.unit}** median.\n\n| detail | value |\n| --- | --- |\n${Object.entries(r.details).map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`,
    };
  },
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((n) => !BENCHES[n]);
  if (unknown.length) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  await preflight();
  for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
    console.error(`bench ${name} ...`);
    const section = await (BENCHES[name] as () => Promise<BenchSection>)();
    writeSections(path.join(ROOT, 'docs', 'BENCHMARKS.md'), [section]);
    console.log(section.markdown);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
