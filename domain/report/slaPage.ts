/**
 * `tempered report sla --html FILE`: one self-contained page (no scripts,
 * no external resources) with a plot of time to fix per advisory (one point
 * each, by publish time, coloured by severity), the medians per image as
 * bars, and the tables. Pure: SVG built by hand, because a chart library
 * would bring a runtime and a bundle for two plots.
 */
import { formatHours, type SlaReport } from './timeToFix';

const COLOURS: Record<string, string> = { critical: '#b30000', high: '#e34a33', medium: '#fc8d59', low: '#fdbb84', unknown: '#999999' };
const esc = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function slaPage(report: SlaReport, generatedAt: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tempered: time to fix</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f4f4f4}svg{background:#fff;border:1px solid #ddd}.axis{stroke:#444}.label{font-size:11px;fill:#444}</style></head>
<body><h1>Time to fix</h1>
<p>From when tempered learned of an advisory to the publish that fixed it, per image. ${report.records.length} fixes timed${report.untimed ? `, ${report.untimed} without times (handled before they were kept, or already fixed)` : ''}. Generated ${esc(generatedAt)}.</p>
<h2>Per advisory</h2>
${scatter(report)}
<h2>Median per image</h2>
${bars(report)}
<h2>Per severity</h2>
<table id="by-severity"><tr><th>Severity</th><th>Fixes</th><th>Median</th><th>Slowest</th></tr>
${report.bySeverity.map((s) => `<tr><td>${esc(s.severity)}</td><td>${s.count}</td><td>${formatHours(s.medianHours)}</td><td>${esc(s.slowest.advisory)} on ${esc(s.slowest.image)}: ${formatHours(s.slowest.hours)}</td></tr>`).join('\n')}
</table>
<h2>Every fix</h2>
<table id="fixes"><tr><th>Advisory</th><th>Severity</th><th>Image</th><th>Learned</th><th>Published</th><th>Time to fix</th><th>Since the feed published it</th></tr>
${report.records.map((r) => `<tr><td>${esc(r.advisory)}</td><td>${esc(r.severity)}</td><td>${esc(r.image)}</td><td>${esc(r.learnedAt)}</td><td>${esc(r.publishedAt)}</td><td>${formatHours(r.hours)}</td><td>${r.hoursSinceFeed === undefined ? '' : formatHours(r.hoursSinceFeed)}</td></tr>`).join('\n')}
</table></body></html>
`;
}

const W = 760;
const H = 320;
const PAD = { left: 70, right: 20, top: 20, bottom: 40 };

function scatter(report: SlaReport): string {
  const { records } = report;
  if (records.length === 0) return '<p>No timed fixes yet.</p>';
  const times = records.map((r) => Date.parse(r.publishedAt));
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  // 10 % headroom above the slowest, and never a zero scale.
  const maxHours = Math.max(...records.map((r) => r.hours)) * 1.1 || 1 / 3600;
  const x = (t: number) => PAD.left + (t1 === t0 ? (W - PAD.left - PAD.right) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
  const y = (h: number) => H - PAD.bottom - (h / maxHours) * (H - PAD.top - PAD.bottom);
  const points = records.map((r) => `<circle class="point" cx="${x(Date.parse(r.publishedAt)).toFixed(1)}" cy="${y(r.hours).toFixed(1)}" r="5" fill="${COLOURS[r.severity] ?? COLOURS.unknown}" data-advisory="${esc(r.advisory)}" data-image="${esc(r.image)}"><title>${esc(r.advisory)} on ${esc(r.image)}: ${formatHours(r.hours)}</title></circle>`);
  return `<svg id="per-advisory" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="time to fix per advisory">
<line class="axis" x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}"/><line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}"/>
<text class="label" x="${PAD.left - 8}" y="${PAD.top + 4}" text-anchor="end">${formatHours(maxHours)}</text><text class="label" x="${PAD.left - 8}" y="${H - PAD.bottom}" text-anchor="end">0</text>
<text class="label" x="${PAD.left}" y="${H - 12}">${esc(new Date(t0).toISOString().slice(0, 16))}</text><text class="label" x="${W - PAD.right}" y="${H - 12}" text-anchor="end">${esc(new Date(t1).toISOString().slice(0, 16))} (publish time)</text>
${points.join('\n')}
${Object.entries(COLOURS).map(([severity, colour], i) => `<circle cx="${PAD.left + 20 + i * 90}" cy="${PAD.top}" r="5" fill="${colour}"/><text class="label" x="${PAD.left + 30 + i * 90}" y="${PAD.top + 4}">${severity}</text>`).join('')}
</svg>`;
}

function bars(report: SlaReport): string {
  if (report.byImage.length === 0) return '';
  const rowHeight = 22;
  const height = report.byImage.length * rowHeight + 10;
  const max = Math.max(...report.byImage.map((i) => i.medianHours), 1 / 60);
  const width = W - 220;
  return `<svg id="per-image" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" role="img" aria-label="median time to fix per image">
${report.byImage.map((i, n) => `<text class="label" x="150" y="${n * rowHeight + 20}" text-anchor="end">${esc(i.image)}</text><rect class="bar" x="160" y="${n * rowHeight + 8}" width="${Math.max(1, (i.medianHours / max) * width).toFixed(1)}" height="16" fill="#3182bd"/><text class="label" x="${(170 + (i.medianHours / max) * width).toFixed(1)}" y="${n * rowHeight + 20}">${formatHours(i.medianHours)} (${i.count})</text>`).join('\n')}
</svg>`;
}
