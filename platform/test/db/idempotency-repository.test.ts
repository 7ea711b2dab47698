import { IdempotencyConflictError } from '@coinstile/core';
import { IdempotencyRepository } from '../../src/db';
import { describeOnEngines } from './engines';
import { newId } from './fixtures';

describeOnEngines('IdempotencyRepository', (fixture) => {
  test('the same key and request replays the stored response; another request is a conflict', async () => {
    const { db } = fixture();
    const keys = new IdempotencyRepository(db);
    const scope = `${newId('st')}:POST /v1/checkouts`;
    expect(await keys.begin(scope, '5f1c', 'hash-a')).toEqual({ kind: 'started' });
    // While the first request runs, a retry is told to wait.
    expect(await keys.begin(scope, '5f1c', 'hash-a')).toEqual({ kind: 'in_progress' });
    const body = { id: newId('co'), status: 'new', amount: 4980n };
    await keys.complete(scope, '5f1c', 201, body);

    expect(await keys.begin(scope, '5f1c', 'hash-a')).toEqual({
      kind: 'replay',
      responseStatus: 201,
      responseBody: { id: body.id, status: 'new', amount: '4980' },
    });
    const conflict = keys.begin(scope, '5f1c', 'hash-b');
    await expect(conflict).rejects.toBeInstanceOf(IdempotencyConflictError);
    await expect(keys.begin(scope, '5f1c', 'hash-b')).rejects.toMatchObject({ httpStatus: 409, code: 'idempotency_key_reused' });
    // Scopes are independent: another store may use the same key.
    expect(await keys.begin(`${newId('st')}:POST /v1/checkouts`, '5f1c', 'hash-b')).toEqual({ kind: 'started' });
    // A completed key cannot be completed again.
    await expect(keys.complete(scope, '5f1c', 500, {})).rejects.toThrow(/not in progress/);
  });

  test('concurrent first uses of one key: exactly one starts', async () => {
    const { db } = fixture();
    const keys = new IdempotencyRepository(db);
    const scope = `${newId('st')}:POST /v1/checkouts`;
    const results = await Promise.all(Array.from({ length: 10 }, () => keys.begin(scope, 'k-1', 'h')));
    expect(results.filter((r) => r.kind === 'started')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'in_progress')).toHaveLength(9);
  });

  test('an abandoned key can be used again, and a stale unfinished key is taken over once', async () => {
    const { db } = fixture();
    const keys = new IdempotencyRepository(db);
    const scope = `${newId('st')}:POST /v1/checkouts`;
    expect(await keys.begin(scope, 'k', 'h')).toEqual({ kind: 'started' });
    await keys.abandon(scope, 'k');
    expect(await keys.begin(scope, 'k', 'other')).toEqual({ kind: 'started' });

    const later = new Date(Date.now() + 120_000);
    const takers = await Promise.all([keys.begin(scope, 'k', 'other', { now: later }), keys.begin(scope, 'k', 'other', { now: later })]);
    expect(takers.map((t) => t.kind).sort()).toEqual(['in_progress', 'started']);
    await keys.complete(scope, 'k', 200, { ok: true });
    await keys.abandon(scope, 'k');
    expect(await keys.begin(scope, 'k', 'other')).toMatchObject({ kind: 'replay', responseStatus: 200 });
  });
});
