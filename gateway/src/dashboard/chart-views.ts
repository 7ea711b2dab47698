import type { SourceStatus } from '@coinstile/fx-oracle';
import { html } from '../pages/html';
import { DAY_MS, HOUR_MS, type HourlyVolume, LATENCY_BUCKET_BOUNDS_S, type LatencyHistogram } from './chart-data';
import { dashboardMessages, formatAge } from './dashboard-messages';
import { fiat, formatTime, renderPage, type ViewContext } from './dashboard-views';
import type { QueueDepthSample } from './queue-depth-sampler';
import { barChart, lineChart, SERIES_COLOURS } from './svg-charts';

/** Samples drawn per line at most; more are reduced to each bucket's maximum (a spike stays visible). */
const MAX_POINTS = 288;

function hourLabel(ms: number): string {
  return new Date(ms).toISOString().slice(11, 13);
}

export function chartsPage(ctx: ViewContext, data: { volume: readonly HourlyVolume[]; samples: readonly QueueDepthSample[]; latency: LatencyHistogram }): string {
  const m = dashboardMessages(ctx.locale);
  const endHour = Math.floor(ctx.nowMs / HOUR_MS) * HOUR_MS;
  const hours = Array.from({ length: 24 }, (_, i) => endHour - (23 - i) * HOUR_MS);
  const currencies = [...new Set(data.volume.map((v) => v.currency))].sort();
  const volumeCharts =
    currencies.length === 0
      ? html`<p class="muted">${m.charts.noData}</p>`
      : currencies.map((currency) => {
          const bars = hours.map((h) => {
            const minor = data.volume.find((v) => v.currency === currency && v.hourStartMs === h)?.priceMinor ?? 0n;
            return { label: hourLabel(h), value: Number(minor), tooltip: `${formatTime(h).slice(0, 16)} UTC: ${fiat(minor, currency, ctx.locale)}` };
          });
          const total = data.volume.filter((v) => v.currency === currency).reduce((sum, v) => sum + v.priceMinor, 0n);
          return html`<figure data-testid="volume-${currency}"><figcaption>${currency}: ${fiat(total, currency, ctx.locale)}</figcaption>${barChart({
            label: `${m.charts.volume} ${currency}`,
            bars,
            labelEvery: 3,
            yFormat: (n) => fiat(BigInt(Math.round(n)), currency, ctx.locale),
          })}</figure>`;
        });

  const fromMs = ctx.nowMs - DAY_MS;
  const queueNames = [...new Set(data.samples.flatMap((s) => Object.keys(s.depths)))].sort();
  const series = queueNames.map((name) => ({ name, points: downsample(data.samples.map((s) => ({ x: s.atMs, y: s.depths[name]?.waiting ?? 0 }))) }));
  const xTicks = hours.filter((_, i) => i % 4 === 0).map((h) => ({ x: h, label: hourLabel(h) }));
  const depthChart =
    data.samples.length === 0
      ? html`<p class="muted">${m.charts.noData}</p>`
      : html`${lineChart({ label: m.charts.depth, series, fromMs, toMs: ctx.nowMs, xTicks })}<div class="legend">${series.map(
          (s, i) => html`<span><span class="swatch" data-colour="${i}"></span>${s.name}</span>`,
        )}</div>`;

  const bucketLabels = [`<${LATENCY_BUCKET_BOUNDS_S[0]}s`, ...LATENCY_BUCKET_BOUNDS_S.slice(1).map((b) => `<${seconds(b)}`), `≥${seconds(LATENCY_BUCKET_BOUNDS_S[LATENCY_BUCKET_BOUNDS_S.length - 1] ?? 0)}`];
  const latencyChart =
    data.latency.total === 0
      ? html`<p class="muted">${m.charts.noData}</p>`
      : html`<p class="muted" data-testid="latency-summary">n=${data.latency.total} · ${m.charts.median} ${formatAge(data.latency.medianMs ?? 0, ctx.locale)} · p99 ${formatAge(data.latency.p99Ms ?? 0, ctx.locale)}</p>${barChart({
          label: m.charts.latency,
          bars: data.latency.counts.map((count, i) => ({ label: bucketLabels[i] ?? '', value: count, tooltip: `${bucketLabels[i] ?? ''}: ${count}` })),
          colour: SERIES_COLOURS[2],
        })}`;

  const main = html`<h1>${m.nav.charts}</h1>
<div class="charts">
<section class="card" data-testid="chart-volume"><h2>${m.charts.volume}</h2>${volumeCharts}</section>
<section class="card" data-testid="chart-depth"><h2>${m.charts.depth}</h2>${depthChart}</section>
<section class="card" data-testid="chart-latency"><h2>${m.charts.latency}</h2>${latencyChart}</section>
</div>`;
  return renderPage(ctx, { title: m.nav.charts, section: 'charts', main });
}

function seconds(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${s / 60}m`;
  return `${s / 3600}h`;
}

/** At most `MAX_POINTS` points: each bucket of consecutive samples becomes its maximum. */
function downsample(points: readonly { x: number; y: number }[]): { x: number; y: number }[] {
  if (points.length <= MAX_POINTS) return [...points];
  const size = Math.ceil(points.length / MAX_POINTS);
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i < points.length; i += size) {
    const bucket = points.slice(i, i + size);
    out.push({ x: bucket[bucket.length - 1]?.x ?? 0, y: Math.max(...bucket.map((p) => p.y)) });
  }
  return out;
}

export function systemPage(
  ctx: ViewContext,
  data: { fx: readonly SourceStatus[] | null; chains: readonly { chain: string; height: bigint; blockHash: string; updatedAt: Date }[] },
): string {
  const m = dashboardMessages(ctx.locale);
  const fx =
    data.fx === null
      ? html`<p class="muted">${m.fx.unavailable}</p>`
      : html`<div class="card"><table data-testid="fx-sources"><thead><tr><th>${m.fx.source}</th><th>${m.fx.breaker}</th><th>${m.fx.lastSuccess}</th><th class="hide-narrow">${m.fx.lastError}</th><th class="hide-narrow">${m.pairs}</th></tr></thead><tbody>${data.fx.map(
          (s) => html`<tr data-testid="fx-source"><td>${s.source}${s.demo ? html` <span class="badge">${m.fx.demo}</span>` : null}</td><td><span class="badge">${s.health ? `${s.health.breaker.status} (${s.health.breaker.consecutiveFailures})` : m.none}</span></td><td>${
            s.health?.lastSuccessAtMs == null ? m.none : m.ago(ctx.nowMs - s.health.lastSuccessAtMs)
          }</td><td class="reason hide-narrow">${s.health?.lastError ? `${s.health.lastError.kind}: ${s.health.lastError.message}` : ''}</td><td class="hide-narrow">${s.values.length}</td></tr>`,
        )}</tbody></table></div>`;
  const chains =
    data.chains.length === 0
      ? html`<p class="muted">${m.chains.none}</p>`
      : html`<div class="card"><table data-testid="chain-tips"><thead><tr><th>${m.chains.chain}</th><th class="num">${m.chains.height}</th><th>${m.chains.hash}</th><th>${m.updatedAt}</th></tr></thead><tbody>${data.chains.map(
          (c) => html`<tr><td>${c.chain}</td><td class="num">${c.height.toString()}</td><td class="mono">${c.blockHash}</td><td>${m.ago(ctx.nowMs - c.updatedAt.getTime())}</td></tr>`,
        )}</tbody></table></div>`;
  const main = html`<h1>${m.nav.system}</h1><h2>${m.fx.heading}</h2>${fx}<h2>${m.chains.heading}</h2>${chains}`;
  return renderPage(ctx, { title: m.nav.system, section: 'system', main });
}
