import type { Observation } from '../observation';
import { fetchText, joinUrl } from './http-fetch';
import { collectPerPair, priceFromString } from './parse-value';
import { DEFAULT_SOURCE_TIMEOUT_MS, type HttpSourceOptions, type RateSource, type SourceFetchResult } from './rate-source';
import { SourceError } from './source-error';

/** The ECB publishes once per TARGET business day, around 16:00 CET: hourly refreshes are plenty. */
export const ECB_DEFAULT_REFRESH_INTERVAL_MS = 60 * 60 * 1000;

const TIME_CUBE = /<Cube\s+time\s*=\s*(["'])(\d{4})-(\d{2})-(\d{2})\1\s*>/;
const RATE_CUBE = /<Cube\s+currency\s*=\s*(["'])([A-Za-z]{3})\1\s+rate\s*=\s*(["'])([^"']*)\3\s*\/>/g;

/**
 * The ECB euro foreign exchange reference rates, `eurofxref-daily.xml`:
 * `<gesmes:Envelope …><Cube><Cube time='2024-06-28'><Cube currency='USD' rate='1.0705'/>…`.
 * Every rate is EUR-based (EUR-USD 1.0705: one euro is 1.0705 dollars); aggregation crosses them
 * through USD. The observation time is the reference date at 14:00 UTC (the 16:00 CET publication,
 * taken early so ages are never understated).
 */
export class EcbSource implements RateSource {
  readonly id = 'ecb';
  readonly demo = false;
  readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: HttpSourceOptions & { readonly path?: string }) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? ECB_DEFAULT_REFRESH_INTERVAL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  async fetchLatest(): Promise<SourceFetchResult> {
    const path = this.options.path ?? '/stats/eurofxref/eurofxref-daily.xml';
    const xml = await fetchText(this.id, joinUrl(this.options.baseUrl, path), this.timeoutMs, 'application/xml, text/xml');
    return parseEcbDailyXml(this.id, xml, this.now());
  }
}

/** Parses the daily reference rates document; a document without a dated Cube of rates is `malformed`. */
export function parseEcbDailyXml(source: string, xml: string, fetchedAtMs: number): SourceFetchResult {
  if (!xml.includes('eurofxref')) throw new SourceError(source, 'malformed', 'not an ECB eurofxref document');
  const time = TIME_CUBE.exec(xml);
  if (!time) throw new SourceError(source, 'malformed', 'no <Cube time=…> element');
  const [year, month, day] = [Number(time[2]), Number(time[3]), Number(time[4])];
  const observedAtMs = Date.UTC(year, month - 1, day, 14, 0, 0);
  const date = new Date(observedAtMs);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new SourceError(source, 'invalid_value', `invalid reference date ${time[2]}-${time[3]}-${time[4]}`);
  }
  const observations: Observation[] = [];
  const rejected: SourceError[] = [];
  for (const match of xml.slice(time.index).matchAll(RATE_CUBE)) {
    const currency = (match[2] ?? '').toUpperCase();
    const observation = collectPerPair(rejected, (): Observation => ({
      source,
      pair: { base: 'EUR', quote: currency },
      value: priceFromString(source, match[4] ?? '', `EUR-${currency} rate`),
      observedAtMs,
      fetchedAtMs,
      demo: false,
    }));
    if (observation) observations.push(observation);
  }
  if (observations.length === 0) {
    throw rejected[0] ?? new SourceError(source, 'malformed', 'no <Cube currency=… rate=…/> elements');
  }
  return { observations, rejected };
}
