import { FxDecimal, parsePositiveDecimal, PUBLISHED_RATE_DIGITS } from '../fx-decimal';
import { effectiveObservedAtMs, type Observation } from '../observation';
import { type Pair, type PairKey, pairKey } from '../pair';
import type { AggregatedRate, RateComponent, RateResolution, UnavailableReason } from './aggregated-rate';
import { aggregateCandidates, type Candidate, onePerSource } from './aggregate-candidates';
import { type AggregationOptions, maxAgeMsFor } from './aggregation-options';

/** Stablecoins that always count as USD when they are the quote currency (Binance quotes in USDT). */
const ALWAYS_USD = new Set(['USDT']);

interface FreshObservation {
  readonly observation: Observation;
  readonly value: FxDecimal;
  readonly component: RateComponent;
  /** The quote currency after USD-equivalents are folded into USD. */
  readonly quote: string;
}

type Step<T> = { readonly kind: 'ok'; readonly value: T } | { readonly kind: 'fail'; readonly reason: UnavailableReason; readonly detail: string };

interface LegRate {
  readonly value: FxDecimal;
  readonly components: readonly RateComponent[];
  readonly outliers: readonly RateComponent[];
}

/**
 * The rate of `target` (asset-fiat, e.g. BTC-JPY) at `nowMs` from raw observations, pure:
 * 1. only fresh observations of allowed sources count (`maxAgeMs`; `fiatMaxAgeMs` for fiat-fiat pairs);
 * 2. USDT-quoted values count as USD; USDC-quoted ones only while USDC-USD is within `usdcDepegBps`;
 * 3. asset-USD candidates, one per source; the asset USDC is worth exactly 1 USD while pegged, and
 *    unavailable (`depeg`) otherwise;
 * 4. a non-USD fiat goes through USD: each source's asset-USD value × the aggregated USD-fiat rate
 *    (from USD-X, X-USD or EUR-based reference rates), plus direct asset-fiat values;
 * 5. median, outliers dropped, at least `minSources` distinct sources.
 */
export function resolveRate(observations: readonly Observation[], target: Pair, options: AggregationOptions, nowMs: number): RateResolution {
  const key = pairKey(target);
  const fail = (reason: UnavailableReason, detail: string): RateResolution => ({ kind: 'unavailable', pair: key, reason, detail });
  const fresh = freshObservations(observations, options, nowMs);

  const usdcPeg = pegOfUsdc(fresh, options);
  const usable = fresh
    .map((entry) => (entry.quote === 'USDC' && usdcPeg.kind === 'ok' && usdcPeg.value.pegged ? { ...entry, quote: 'USD' } : entry))
    .filter((entry) => entry.quote !== 'USDC' || target.quote === 'USDC');

  const assetUsd = assetUsdCandidates(usable, target.base, usdcPeg);
  if (assetUsd.kind === 'fail') return fail(assetUsd.reason, assetUsd.detail);

  // Pegged USDC's single USD value already rests on `minSources` USDC-USD values.
  const minSources = target.base === 'USDC' ? 1 : options.minSources;
  if (target.quote === 'USD') {
    return finish(key, target, assetUsd.value, minSources, options.outlierBps, []);
  }

  const direct = usable
    .filter((entry) => entry.observation.pair.base === target.base && entry.quote === target.quote)
    .map((entry): Candidate => ({ source: entry.observation.source, value: entry.value, components: [entry.component] }));
  const usdFiat = usdToFiat(usable, target.quote, options);
  const crossed =
    usdFiat.kind === 'ok'
      ? assetUsd.value.map(
          (candidate): Candidate => ({
            source: candidate.source,
            value: candidate.value.times(usdFiat.value.value),
            components: [...candidate.components, ...usdFiat.value.components],
          }),
        )
      : [];
  if (direct.length === 0 && usdFiat.kind === 'fail') return fail(usdFiat.reason, usdFiat.detail);
  return finish(key, target, onePerSource([...direct, ...crossed]), minSources, options.outlierBps, usdFiat.kind === 'ok' ? usdFiat.value.outliers : []);
}

function freshObservations(observations: readonly Observation[], options: AggregationOptions, nowMs: number): FreshObservation[] {
  const fresh: FreshObservation[] = [];
  for (const observation of observations) {
    if (options.allowedSources && !options.allowedSources.has(observation.source)) continue;
    const observedAtMs = effectiveObservedAtMs(observation);
    if (nowMs - observedAtMs > maxAgeMsFor(observation.pair, options)) continue;
    const value = parsePositiveDecimal(observation.value);
    if (!value) continue;
    fresh.push({
      observation,
      value,
      quote: ALWAYS_USD.has(observation.pair.quote) ? 'USD' : observation.pair.quote,
      component: { source: observation.source, pair: pairKey(observation.pair), value: observation.value, observedAtMs, demo: observation.demo },
    });
  }
  return fresh;
}

interface UsdcPeg {
  readonly pegged: boolean;
  readonly rate: LegRate;
}

function pegOfUsdc(fresh: readonly FreshObservation[], options: AggregationOptions): Step<UsdcPeg> {
  const candidates = onePerSource(
    fresh
      .filter((entry) => entry.observation.pair.base === 'USDC' && entry.quote === 'USD')
      .map((entry): Candidate => ({ source: entry.observation.source, value: entry.value, components: [entry.component] })),
  );
  const leg = aggregateLeg('USDC-USD', candidates, options.minSources, options.outlierBps);
  if (leg.kind === 'fail') return leg;
  const deviationBps = leg.value.value.minus(1).abs().times(10_000);
  return { kind: 'ok', value: { pegged: deviationBps.lte(options.usdcDepegBps), rate: leg.value } };
}

function assetUsdCandidates(usable: readonly FreshObservation[], asset: string, usdcPeg: Step<UsdcPeg>): Step<Candidate[]> {
  if (asset === 'USDC') {
    if (usdcPeg.kind === 'fail') return usdcPeg;
    const { pegged, rate } = usdcPeg.value;
    if (!pegged) {
      return { kind: 'fail', reason: 'depeg', detail: `USDC-USD is ${rate.value.toSignificantDigits(PUBLISHED_RATE_DIGITS).toString()}, outside the peg bound` };
    }
    // Pegged USDC is treated as USD: one USDC buys one dollar, proven by the USDC-USD values.
    return { kind: 'ok', value: [{ source: 'usdc-peg', value: new FxDecimal(1), components: rate.components }] };
  }
  const candidates = onePerSource(
    usable
      .filter((entry) => entry.observation.pair.base === asset && entry.quote === 'USD')
      // Values quoted in real USD first, so a source reporting both keeps its USD one.
      .sort((a, b) => Number(a.observation.pair.quote !== 'USD') - Number(b.observation.pair.quote !== 'USD'))
      .map((entry): Candidate => ({ source: entry.observation.source, value: entry.value, components: [entry.component] })),
  );
  return { kind: 'ok', value: candidates };
}

/** Units of `fiat` per USD, from USD-X, X-USD, or a source's EUR-USD and EUR-X (reference rates). */
function usdToFiat(usable: readonly FreshObservation[], fiat: string, options: AggregationOptions): Step<LegRate> {
  const candidates: Candidate[] = [];
  const bySource = new Map<string, FreshObservation[]>();
  for (const entry of usable) {
    const { base } = entry.observation.pair;
    const source = entry.observation.source;
    if (base === 'USD' && entry.quote === fiat) {
      candidates.push({ source, value: entry.value, components: [entry.component] });
    } else if (base === fiat && entry.quote === 'USD') {
      candidates.push({ source, value: new FxDecimal(1).div(entry.value), components: [entry.component] });
    } else if (base === 'EUR' && (entry.quote === 'USD' || entry.quote === fiat)) {
      bySource.set(source, [...(bySource.get(source) ?? []), entry]);
    }
  }
  for (const [source, entries] of bySource) {
    const eurUsd = entries.find((entry) => entry.quote === 'USD');
    if (!eurUsd) continue;
    if (fiat === 'EUR') {
      candidates.push({ source, value: new FxDecimal(1).div(eurUsd.value), components: [eurUsd.component] });
      continue;
    }
    const eurFiat = entries.find((entry) => entry.quote === fiat);
    if (eurFiat) candidates.push({ source, value: eurFiat.value.div(eurUsd.value), components: [eurUsd.component, eurFiat.component] });
  }
  return aggregateLeg(`USD-${fiat}`, onePerSource(candidates), options.minFiatSources, options.outlierBps);
}

function aggregateLeg(pair: string, candidates: readonly Candidate[], minSources: number, outlierBps: number): Step<LegRate> {
  if (candidates.length === 0) return { kind: 'fail', reason: 'no_fresh_rates', detail: `no fresh ${pair} value` };
  const result = aggregateCandidates(candidates, minSources, outlierBps);
  if (result.kind === 'too_few') return { kind: 'fail', reason: 'too_few_sources', detail: tooFewDetail(pair, result.kept, result.outliers, minSources) };
  return {
    kind: 'ok',
    value: { value: result.value, components: result.kept.flatMap((c) => c.components), outliers: result.outliers.flatMap((c) => c.components) },
  };
}

function finish(
  key: PairKey,
  target: Pair,
  candidates: readonly Candidate[],
  minSources: number,
  outlierBps: number,
  legOutliers: readonly RateComponent[],
): RateResolution {
  const leg = aggregateLeg(key, candidates, minSources, outlierBps);
  if (leg.kind === 'fail') return { kind: 'unavailable', pair: key, reason: leg.reason, detail: leg.detail };
  const sources = uniqueComponents(leg.value.components);
  const rate: AggregatedRate = {
    pair: key,
    base: target.base,
    quote: target.quote,
    rate: leg.value.value.toSignificantDigits(PUBLISHED_RATE_DIGITS).toString(),
    sources,
    outliers: uniqueComponents([...leg.value.outliers, ...legOutliers]),
    observedAtMs: Math.min(...sources.map((component) => component.observedAtMs)),
    demo: sources.some((component) => component.demo),
  };
  return { kind: 'available', rate };
}

function uniqueComponents(components: readonly RateComponent[]): RateComponent[] {
  const seen = new Set<string>();
  return components.filter((component) => {
    const id = `${component.source}|${component.pair}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function tooFewDetail(pair: string, kept: readonly Candidate[], outliers: readonly Candidate[], minSources: number): string {
  const names = (list: readonly Candidate[]) => list.map((candidate) => candidate.source).join(', ') || 'none';
  const dropped = outliers.length > 0 ? `; dropped as outliers: ${names(outliers)}` : '';
  return `${pair}: ${kept.length} agreeing fresh source(s) (${names(kept)}), ${minSources} required${dropped}`;
}
