import fc from 'fast-check';

/** The subset of JSON Schema (2020-12, as zod's `toJSONSchema` writes it) the fuzzer reads. */
export interface JsonSchema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly propertyNames?: JsonSchema;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly default?: unknown;
}

/** Resolves `$ref`s against an OpenAPI document's `components.schemas`. */
export function resolver(components: Readonly<Record<string, JsonSchema>>): (schema: JsonSchema | undefined) => JsonSchema {
  const resolve = (schema: JsonSchema | undefined): JsonSchema => {
    if (schema === undefined) return {};
    if (schema.$ref === undefined) return schema;
    const name = schema.$ref.replace(/^#\/components\/schemas\//, '');
    const target = components[name];
    if (target === undefined) throw new Error(`unresolved $ref ${schema.$ref}`);
    return resolve(target);
  };
  return resolve;
}

const typesOf = (s: JsonSchema): string[] => (s.type === undefined ? [] : typeof s.type === 'string' ? [s.type] : [...s.type]);
const branchesOf = (s: JsonSchema): readonly JsonSchema[] => s.anyOf ?? s.oneOf ?? s.allOf ?? [];

/**
 * Malformed, oversized, wrong-typed and boundary values for a value of `schema`: every one is sent in
 * place of a valid value. Chosen from the schema's own bounds (lengths 0/1/max/max+1, minimum−1,
 * maximum+1, each enum value mangled) plus what breaks parsers and money code everywhere (huge and
 * negative amounts, exponents, NaN, lone surrogates, NUL, 10k strings, arrays for objects, nulls).
 */
export function boundaryValues(schema: JsonSchema, resolve: (s: JsonSchema | undefined) => JsonSchema): unknown[] {
  const s = resolve(schema);
  const values: unknown[] = [null, true, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, [], {}, [null], ''];
  const types = new Set(typesOf(s));
  for (const branch of branchesOf(s)) for (const t of typesOf(resolve(branch))) types.add(t);
  if (types.has('string') || types.size === 0 || s.enum) {
    const max = s.maxLength;
    values.push(
      'x',
      'x'.repeat(10_000),
      '😀'.repeat(300),
      '\ud800',
      'a\u0000b',
      '\u202e\u0041',
      'Ｊ＿Ｐ＿Ｙ',
      ' ',
      '-1',
      '-0.01',
      '0',
      '00',
      '1e3',
      '1E-7',
      '0x10',
      'NaN',
      'Infinity',
      '9'.repeat(100),
      ' 12 ',
      '12.',
      '.5',
      '1_000',
      '__proto__',
      '../../etc/passwd',
      "'; DROP TABLE checkouts; --",
      '%00',
    );
    if (max !== undefined) values.push('x'.repeat(max), 'x'.repeat(max + 1));
    if (s.minLength !== undefined && s.minLength > 0) values.push('x'.repeat(s.minLength - 1));
    if (s.pattern !== undefined) values.push(`${s.pattern}`, 'st_01ARZ3NDEKTSV4RRFFQ69G5FA', 'st_01ARZ3NDEKTSV4RRFFQ69G5FAVV');
  }
  for (const e of s.enum ?? []) {
    if (typeof e === 'string') values.push(e.toUpperCase(), e.toLowerCase(), ` ${e}`, `${e}\u0000`, [e]);
  }
  if (types.has('number') || types.has('integer')) {
    values.push(2 ** 64, -(2 ** 64), 1e-300, -0, '1');
    if (s.minimum !== undefined) values.push(s.minimum - 1, s.minimum);
    if (s.maximum !== undefined) values.push(s.maximum + 1, s.maximum);
    if (s.exclusiveMinimum !== undefined) values.push(s.exclusiveMinimum);
    if (s.exclusiveMaximum !== undefined) values.push(s.exclusiveMaximum);
  }
  if (types.has('array')) {
    values.push(Array.from({ length: 1_000 }, () => 'x'), [[[]]], [{}], 'x');
    if (s.maxItems !== undefined) values.push(Array.from({ length: s.maxItems + 1 }, () => exampleOf(s.items ?? {}, resolve)));
  }
  if (types.has('object')) values.push([{}], 'object', JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown, Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i])));
  return values;
}

/** A value the schema accepts, as far as it can be told from the schema alone (defaults, enums, bounds). */
export function exampleOf(schema: JsonSchema, resolve: (s: JsonSchema | undefined) => JsonSchema): unknown {
  const s = resolve(schema);
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (s.enum && s.enum.length > 0) return s.enum[0];
  const branches = branchesOf(s);
  if (branches.length > 0) return exampleOf(branches[0]!, resolve);
  const type = typesOf(s)[0];
  switch (type) {
    case 'object':
      return Object.fromEntries((s.required ?? []).map((k) => [k, exampleOf(s.properties?.[k] ?? {}, resolve)]));
    case 'array':
      return s.minItems ? Array.from({ length: s.minItems }, () => exampleOf(s.items ?? {}, resolve)) : [];
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
  }
}

/**
 * A fast-check arbitrary of values *around* `schema`: mostly the right shape with each leaf either a
 * plausible value, a boundary value or junk, sometimes a wrong type altogether; objects drop required
 * keys and gain unknown ones.
 */
export function arbitraryOf(schema: JsonSchema, resolve: (s: JsonSchema | undefined) => JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const boundary = fc.constantFrom(...boundaryValues(s, resolve));
  const junk: fc.Arbitrary<unknown> = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer(), fc.double(), fc.constant(null), fc.boolean());
  const branches = branchesOf(s);
  if (branches.length > 0 && depth < 4) return fc.oneof(...branches.map((b) => arbitraryOf(b, resolve, depth + 1)), boundary);
  const type = typesOf(s)[0];
  if (type === 'object' && depth < 4) {
    const props = Object.entries(s.properties ?? {});
    const record = fc.record(Object.fromEntries(props.map(([k, p]) => [k, arbitraryOf(p, resolve, depth + 1)])), { requiredKeys: [] });
    return fc.oneof(
      { weight: 4, arbitrary: fc.tuple(record, fc.dictionary(fc.string({ maxLength: 20 }), junk, { maxKeys: 2 })).map(([r, extra]) => ({ ...extra, ...r })) },
      { weight: 1, arbitrary: boundary },
    );
  }
  if (type === 'array' && depth < 4) return fc.oneof(fc.array(arbitraryOf(s.items ?? {}, resolve, depth + 1), { maxLength: 5 }), boundary);
  const plausible: fc.Arbitrary<unknown> =
    s.enum && s.enum.length > 0
      ? fc.constantFrom(...s.enum)
      : type === 'integer'
        ? fc.integer({ min: (s.minimum ?? -1000) - 2, max: (s.maximum ?? 1_000_000) + 2 })
        : type === 'number'
          ? fc.double({ noNaN: true })
          : type === 'boolean'
            ? fc.boolean()
            : fc.oneof(fc.string({ maxLength: (s.maxLength ?? 64) + 2 }), fc.stringMatching(/^-?\d{1,30}(\.\d{0,20})?(e[+-]?\d{1,4})?$/));
  return fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 2, arbitrary: boundary }, { weight: 1, arbitrary: junk });
}
