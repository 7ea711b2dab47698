import type { SourceId } from '../observation';
import { SourceError } from './source-error';

/**
 * GETs `url` and returns the body text of an HTTP 200 answer. Every failure becomes a typed
 * `SourceError`: the timeout (via AbortSignal) covers connecting and reading the body.
 */
export async function fetchText(source: SourceId, url: string, timeoutMs: number, accept: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept } });
  } catch (err) {
    throw requestFailure(source, err, timeoutMs);
  }
  let body: string;
  try {
    body = await response.text();
  } catch (err) {
    throw requestFailure(source, err, timeoutMs);
  }
  if (response.status !== 200) {
    throw new SourceError(source, 'http_status', `HTTP ${response.status}: ${snippet(body)}`, response.status);
  }
  return body;
}

/** `fetchText` then `JSON.parse`; unparsable JSON is a `malformed` SourceError. */
export async function fetchJson(source: SourceId, url: string, timeoutMs: number): Promise<unknown> {
  const body = await fetchText(source, url, timeoutMs, 'application/json');
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new SourceError(source, 'malformed', `response is not JSON: ${snippet(body)}`);
  }
}

/** Joins a configured base URL (with or without a trailing slash or path prefix) and an API path. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

function requestFailure(source: SourceId, err: unknown, timeoutMs: number): SourceError {
  // Abort reasons are DOMExceptions, which are not always `instanceof Error` (other realms): read the name.
  const name = typeof err === 'object' && err !== null ? String((err as { name?: unknown }).name) : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new SourceError(source, 'timeout', `no answer within ${timeoutMs} ms`);
  }
  const message = typeof err === 'object' && err !== null ? String((err as { message?: unknown }).message) : String(err);
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: { message?: unknown } }).cause : undefined;
  return new SourceError(source, 'network', `${message}${cause?.message ? `: ${String(cause.message)}` : ''}`);
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
