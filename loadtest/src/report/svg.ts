// Small, dependency-free SVG charts, so the report is one self-contained file.
import type { HistogramBucket, SeriesPoint } from '../stats';

const W = 760;
const H = 300;
const M = { top: 20, right: 20, bottom: 50, left: 70 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round numbers for an axis from 0 to at least `max`. */
export function niceTicks(max: number, count = 5): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw) as number;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

const fmt = (v: number) => (v >= 10_000 ? `${Math.round(v / 1000)}k` : v.toLocaleString('en-US'));

function axes(yTicks: number[], yMax: number, yLabel: string, xLabel: string): string {
  const parts = [`<g class="axes">`];
  for (const tick of yTicks) {
    const y = M.top + PLOT_H - (tick / yMax) * PLOT_H;
    parts.push(
      `<line x1="${M.left}" x2="${M.left + PLOT_W}" y1="${y}" y2="${y}" class="grid"/>`,
      `<text x="${M.left - 8}" y="${y + 4}" text-anchor="end">${fmt(tick)}</text>`,
    );
  }
  parts.push(
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PLOT_H}" class="axis"/>`,
    `<line x1="${M.left}" x2="${M.left + PLOT_W}" y1="${M.top + PLOT_H}" y2="${M.top + PLOT_H}" class="axis"/>`,
    `<text x="${M.left + PLOT_W / 2}" y="${H - 8}" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
    `<text transform="translate(16 ${M.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`,
    '</g>',
  );
  return parts.join('');
}

/** A bar per latency bucket (buckets of growing width, drawn evenly spaced). */
export function histogramSvg(buckets: HistogramBucket[], title: string): string {
  if (buckets.length === 0) return '<p>No responses.</p>';
  const maxCount = Math.max(...buckets.map((b) => b.count));
  const ticks = niceTicks(maxCount);
  const yMax = ticks[ticks.length - 1]!;
  const slot = PLOT_W / buckets.length;
  const bars = buckets.map((b, i) => {
    const h = (b.count / yMax) * PLOT_H;
    const x = M.left + i * slot + 2;
    const label = `${fmt(b.from)}–${fmt(b.to)}`;
    return (
      `<rect x="${x}" y="${M.top + PLOT_H - h}" width="${Math.max(1, slot - 4)}" height="${h}" class="bar"><title>${label} ms: ${b.count}</title></rect>` +
      `<text x="${x + (slot - 4) / 2}" y="${M.top + PLOT_H + 16}" text-anchor="middle" class="small">${label}</text>`
    );
  });
  return svg(title, axes(ticks, yMax, 'responses', 'latency bucket (ms)') + bars.join(''));
}

export interface Line {
  name: string;
  points: SeriesPoint[];
  color: string;
}

/** Cumulative counts over time, one line each, x in seconds after the first apply. */
export function linesSvg(lines: Line[], title: string, yLabel: string): string {
  const all = lines.flatMap((l) => l.points);
  if (all.length === 0) return '<p>No data.</p>';
  const tMax = Math.max(...all.map((p) => p.t), 1);
  const yTicks = niceTicks(Math.max(...all.map((p) => p.value), 1));
  const yMax = yTicks[yTicks.length - 1]!;
  const xTicks = niceTicks(tMax / 1000, 8);
  const xMax = xTicks[xTicks.length - 1]! * 1000;
  const x = (t: number) => M.left + (t / xMax) * PLOT_W;
  const y = (v: number) => M.top + PLOT_H - (v / yMax) * PLOT_H;
  const parts = [axes(yTicks, yMax, yLabel, 'seconds after the first apply')];
  for (const tick of xTicks) {
    parts.push(`<text x="${x(tick * 1000)}" y="${M.top + PLOT_H + 16}" text-anchor="middle">${tick}</text>`);
  }
  lines.forEach((line, i) => {
    if (line.points.length === 0) return;
    const d = line.points.map((p, j) => `${j ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.value).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${line.color}" stroke-width="2"/>`);
    const ly = M.top + 14 + i * 16;
    parts.push(
      // Top left: cumulative lines rise to the right, so that corner stays clear.
      `<rect x="${M.left + 12}" y="${ly - 9}" width="12" height="4" fill="${line.color}"/>`,
      `<text x="${M.left + 30}" y="${ly - 4}">${escapeHtml(line.name)}</text>`,
    );
  });
  return svg(title, parts.join(''));
}

function svg(title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${body}</svg>`;
}

/** Horizontal bars, one per labelled value (e.g. CPU seconds per process). */
export function barsSvg(items: { label: string; value: number }[], title: string, unit: string): string {
  if (items.length === 0) return '<p>No data.</p>';
  const rowH = 22;
  const height = M.top + items.length * rowH + 30;
  const labelW = 130;
  const plotW = W - labelW - M.right - 60;
  const max = Math.max(...items.map((i) => i.value), 1e-9);
  const rows = items.map((item, i) => {
    const y = M.top + i * rowH;
    const w = (item.value / max) * plotW;
    return (
      `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end">${escapeHtml(item.label)}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" class="bar"/>` +
      `<text x="${labelW + w + 6}" y="${y + 14}">${item.value} ${escapeHtml(unit)}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${rows.join('')}</svg>`;
}
