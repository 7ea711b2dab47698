/** Exhaustiveness check for switches over string-literal unions: compiling proves this is unreachable. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
