import { html, type SafeHtml } from '../pages/html';

/** Colours of successive series (distinguishable for the common colour-vision deficiencies). */
export const SERIES_COLOURS = ['#2f6fde', '#d97706', '#1f9d55', '#c53030', '#7c3aed', '#0e7490'] as const;

const WIDTH = 600;
const HEIGHT = 200;
const PAD = { left: 56, right: 10, top: 10, bottom: 28 } as const;

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Shown on hover (SVG `<title>`). */
  readonly tooltip: string;
}

/** A "nice" upper bound for the y axis (1, 2 or 5 times a power of ten). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}

function frame(label: string, content: SafeHtml, yMax: number, yFormat: (n: number) => string): SafeHtml {
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const ticks = [0, 0.5, 1].map((f) => {
    const y = PAD.top + innerH * (1 - f);
    return html`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y}" y2="${y}" stroke="#dde3ec" stroke-width="1"/><text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end" font-size="12" fill="#5b6678">${yFormat(yMax * f)}</text>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${label}" preserveAspectRatio="xMidYMid meet"><title>${label}</title>${ticks}${content}</svg>`;
}

/**
 * A bar chart: one bar per entry, labels under every `labelEvery`-th bar. Heights are scaled floats;
 * exact amounts are in each bar's tooltip.
 */
export function barChart(options: { label: string; bars: readonly Bar[]; labelEvery?: number; yFormat?: (n: number) => string; colour?: string }): SafeHtml {
  const { bars } = options;
  const yFormat = options.yFormat ?? ((n: number) => compactNumber(n));
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const slot = innerW / Math.max(1, bars.length);
  const every = options.labelEvery ?? 1;
  const content = html`${bars.map((bar, i) => {
    const h = (bar.value / max) * innerH;
    const x = PAD.left + i * slot + slot * 0.1;
    const label =
      i % every === 0
        ? html`<text x="${x + slot * 0.4}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle" font-size="12" fill="#5b6678">${bar.label}</text>`
        : null;
    return html`<rect x="${x.toFixed(1)}" y="${(PAD.top + innerH - h).toFixed(1)}" width="${(slot * 0.8).toFixed(1)}" height="${h.toFixed(1)}" fill="${options.colour ?? SERIES_COLOURS[0]}" rx="2"><title>${bar.tooltip}</title></rect>${label}`;
  })}`;
  return frame(options.label, content, max, yFormat);
}

export interface LineSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** Lines over a time axis from `fromMs` to `toMs`, with hour labels formatted by `xFormat`. */
export function lineChart(options: {
  label: string;
  series: readonly LineSeries[];
  fromMs: number;
  toMs: number;
  xTicks: readonly { x: number; label: string }[];
}): SafeHtml {
  const max = niceMax(Math.max(0, ...options.series.flatMap((s) => s.points.map((p) => p.y))));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const span = Math.max(1, options.toMs - options.fromMs);
  const px = (x: number) => (PAD.left + ((x - options.fromMs) / span) * innerW).toFixed(1);
  const py = (y: number) => (PAD.top + innerH - (y / max) * innerH).toFixed(1);
  const content = html`${options.xTicks.map(
    (t) => html`<text x="${px(t.x)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle" font-size="12" fill="#5b6678">${t.label}</text>`,
  )}${options.series.map((s, i) =>
    s.points.length === 0
      ? null
      : html`<polyline fill="none" stroke="${SERIES_COLOURS[i % SERIES_COLOURS.length]}" stroke-width="2" points="${s.points.map((p) => `${px(p.x)},${py(p.y)}`).join(' ')}"><title>${s.name}</title></polyline>`,
  )}`;
  return frame(options.label, content, max, (n) => compactNumber(n));
}

/** 1234 → "1.2k", 2500000 → "2.5M"; axis labels only. */
export function compactNumber(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trim(n / 1e9)}G`;
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e3) return `${trim(n / 1e3)}k`;
  return trim(n);
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1).replace(/\.0$/, '');
}
