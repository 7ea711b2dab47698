import { z } from 'zod';

/**
 * A feature's share of the OpenAPI document: its component schemas (zod, the same ones that validate its
 * requests) and its paths. Each feature keeps its fragment beside its router and lists it in
 * `openapi-features.ts`; the auth-matrix test fails for any `/v1` route that no fragment documents.
 */
export interface OpenApiFragment {
  readonly components?: Readonly<Record<string, z.ZodType>>;
  readonly paths: Readonly<Record<string, unknown>>;
}

/** Security requirements: the mall operator's token, a store API key, or either. */
export const OPERATOR_SECURITY = [{ operatorToken: [] }] as const;
export const STORE_KEY_SECURITY = [{ apiKey: [] }] as const;

/** A reference to a component schema (one of the document's or a fragment's). */
export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** An `application/json` content map of a component schema. */
export const jsonContent = (name: string) => ({ 'application/json': { schema: schemaRef(name) } });

const ERRORS: Record<string, string> = {
  '400': 'Validation failed',
  '401': 'Missing or invalid credentials',
  '403': 'The credentials lack the scope or role',
  '404': 'Not found (or not visible to the caller)',
  '409': 'Conflict (idempotency key reuse, state conflict)',
  '413': 'Request body too large',
  '422': 'A business rule refused the request',
  '423': 'Locked after too many failed attempts',
  '429': 'Rate limited; see Retry-After',
};

/** Error responses in the API's `{"error":{…}}` shape for the given statuses. */
export function errorResponses(...statuses: string[]): Record<string, unknown> {
  return Object.fromEntries(statuses.map((s) => [s, { description: ERRORS[s] ?? 'Error', content: jsonContent('Error') }]));
}

/** One optional query parameter per property of a zod object schema. */
export function queryParameters(schema: z.ZodObject): unknown[] {
  const shape = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
  return Object.entries(shape.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
}

/** A path parameter holding a prefixed id (`co_…`, `st_…`). */
export const idParam = (name: string, prefix: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: `^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$` },
});
