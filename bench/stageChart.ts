/**
 * The chart of docs/BENCHMARKS.md: where a tempered patch's time goes, one
 * bar segment per stage on its own scale, then the totals of tempered and
 * each peer on a common one. A few rectangles and labels, written by hand: a
 * charting library would bring a DOM or a canvas to draw a dozen elements.
 */

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1'];
const WIDTH = 760;
const LEFT = 170;
const RIGHT = 70;
const BAR = 30;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const secondsLabel = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const label = (x: number, y: number, text: string) => `<text x="${x.toFixed(1)}" y="${(y + BAR / 2 + 4).toFixed(1)}">${escape(text)}</text>`;

export function stageChart(stages: readonly { stage: string; ms: number }[], totalMs: number, peers: readonly { name: string; ms: number }[]): string {
  const span = WIDTH - LEFT - RIGHT;
  const stageScale = span / Math.max(stages.reduce((sum, s) => sum + s.ms, 0), 1);
  let x = LEFT;
  const segments = stages.map((s, i) => {
    const width = s.ms * stageScale;
    const rect = `<rect x="${x.toFixed(1)}" y="50" width="${width.toFixed(1)}" height="${BAR}" fill="${COLORS[i % COLORS.length]}"><title>${escape(s.stage)}: ${secondsLabel(s.ms)}</title></rect>`;
    x += width;
    return rect;
  });
  const legend = stages.map((s, i) => {
    const lx = LEFT + (i % 4) * 150;
    const ly = 100 + Math.floor(i / 4) * 18;
    return `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 17}" y="${ly}">${escape(s.stage)} ${secondsLabel(s.ms)}</text>`;
  });
  const totalsTop = 120 + Math.ceil(stages.length / 4) * 18;
  const totals = [{ name: 'tempered (signed, tested)', ms: totalMs }, ...peers];
  const totalScale = span / Math.max(...totals.map((t) => t.ms), 1);
  const totalBars = totals.flatMap((t, i) => {
    const y = totalsTop + 30 + i * (BAR + 12);
    const width = t.ms * totalScale;
    return [label(10, y, t.name), `<rect x="${LEFT}" y="${y}" width="${width.toFixed(1)}" height="${BAR}" fill="${i === 0 ? COLORS[0] : '#bab0ac'}"/>`, label(LEFT + width + 6, y, secondsLabel(t.ms))];
  });
  const height = totalsTop + 40 + totals.length * (BAR + 12);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="#fff"/>',
    '<text x="10" y="24" font-size="14" font-weight="bold">Advisory -&gt; published runtime base, median per stage</text>',
    label(10, 50, `tempered ${secondsLabel(totalMs)}`),
    ...segments,
    ...legend,
    `<text x="10" y="${totalsTop + 16}" font-size="14" font-weight="bold">The same patch, end to end, beside the peers (same run, same registry)</text>`,
    ...totalBars,
    '</svg>',
    '',
  ].join('\n');
}
