import { types } from 'node:util';

/** A value JSON can carry exactly. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Domain values as JSON for jsonb columns: `bigint` becomes its decimal string (amounts are strings on
 * the wire, and JSON numbers would lose precision), `Date` its ISO-8601 string; `undefined` properties
 * are dropped as `JSON.stringify` would.
 */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot store the non-finite number ${value} as JSON`);
    return value;
  }
  // isDate rather than instanceof: Dates from another realm (worker clones, vm sandboxes) count too.
  if (types.isDate(value)) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item));
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = toJsonValue(item);
    }
    return out;
  }
  throw new TypeError(`cannot store a ${typeof value} as JSON`);
}

/** `value` as JSON text for a jsonb parameter. */
export function jsonText(value: unknown): string {
  return JSON.stringify(toJsonValue(value));
}
