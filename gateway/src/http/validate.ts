import { ValidationError } from '@coinstile/core';
import type { z } from 'zod';

/** One failed check of a request, as `details.issues` lists them. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * `input` checked against `schema`, or a 400 `validation_failed` whose `details.issues` name every field at
 * fault (at most 20, messages from zod, never the submitted values).
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what: 'body' | 'query'): z.infer<S> {
  const result = schema.safeParse(input === undefined && what === 'body' ? undefined : input);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map((p) => String(p)).join('.') || what,
    message: issue.message,
  }));
  const first = issues[0];
  throw new ValidationError(
    first ? `Invalid request ${what}: ${first.path}: ${first.message}` : `Invalid request ${what}`,
    { issues },
  );
}
