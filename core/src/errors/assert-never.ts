/**
 * Marks a branch the type checker proves unreachable (the `never` of an exhaustive switch). If a new
 * union member is added, every switch that forgot it stops compiling; at run time reaching it means
 * data outside the declared union, so it throws.
 */
export function assertNever(value: never, what = 'value'): never {
  throw new TypeError(`Unexpected ${what}: ${String(value)}`);
}
