import type { Migration } from 'kysely';
import { initial } from './0001-initial';
import { pipeline } from './0004-pipeline';

/**
 * Every migration, keyed by name; names sort in the order they apply. A new migration is a new file
 * `NNNN-name.ts` beside this one plus one line here; applied migrations are never edited.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0004-pipeline': pipeline,
};
