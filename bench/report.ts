/**
 * How benches report: each returns a titled markdown section; bench/main.ts
 * writes them into docs/BENCHMARKS.md between markers, so a bench can be
 * re-run alone without losing the others' numbers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface BenchSection {
  id: string;
  title: string;
  markdown: string;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function machineLine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

export function writeSections(file: string, sections: BenchSection[]): void {
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\nMeasured by `npm run bench` (`npm run bench -- NAME` runs one). Numbers are from this machine; timed tests assert none of them.\n';
  for (const s of sections) {
    const block = `<!-- bench:${s.id} -->\n## ${s.title}\n\n${s.markdown.trim()}\n<!-- /bench:${s.id} -->`;
    const pattern = new RegExp(`<!-- bench:${s.id} -->[\\s\\S]*?<!-- /bench:${s.id} -->`);
    text = pattern.test(text) ? text.replace(pattern, block) : `${text.trimEnd()}\n\n${block}\n`;
  }
  fs.writeFileSync(file, text);
}
