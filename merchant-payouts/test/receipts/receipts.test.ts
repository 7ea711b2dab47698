import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckoutId, Clock, StoreId } from '@coinstile/core';
import { createLogger, cryptoRandomSource, jsonErrorHandler, migrateToLatest, openDatabase, type Database } from '@coinstile/platform';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';
import express, { type RequestHandler } from 'express';
import { sql } from 'kysely';
import { runVerifyReceipt, type VerifyReceiptIo } from '../../../cli/src/commands/verify-receipt';
import { setPrincipal } from '../../../gateway/src/auth/principal';
import type { ApiKeyScope } from '../../../gateway/src/http/schemas';
import { createReceiptsApiRouter, createReceiptsRouter } from '../../../gateway/src/receipts';
import { SettlementProcessor } from '../../src';
import {
  createReceiptSigner,
  issueMissingReceipts,
  issueReceipt,
  issueReceipts,
  MalformedReceiptError,
  NoActiveReceiptKeyError,
  receiptsKysely,
  ReceiptKeyStore,
  ReceiptRefusedError,
  RetiredReceiptKeyError,
  storedReceipt,
  TamperedReceiptError,
  UndecryptableReceiptKeyError,
  UnknownReceiptKeyError,
  verifyReceipt,
  WrongStoreReceiptError,
  type JsonWebKeySet,
  type ReceiptSigner,
} from '../../src/receipts';
import { insertStore, newId, settleCheckout } from '../support/pipeline-fixtures';

const DAY_MS = 24 * 3600_000;
const ISSUER = 'https://mall.example.com';

/** A clock the test moves forward (key retirement is judged by it). */
class SteppingClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

describe('signed receipts on PostgreSQL', () => {
  let postgres: PostgresServer;
  let db: Database;
  let clock: SteppingClock;
  let signer: ReceiptSigner;
  let storeId: StoreId;
  let otherStoreId: StoreId;
  const logLines: string[] = [];
  const servers: Server[] = [];
  const tempDirs: string[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    db = await openDatabase({ url: await postgres.createDatabase(), poolSize: 5 });
    await migrateToLatest(db);
    clock = new SteppingClock(new Date());
    const logger = createLogger({ logLevel: 'debug' }, { destination: { write: (line: string) => void logLines.push(line) } });
    signer = await createReceiptSigner({ db, issuer: `${ISSUER}/`, clock, random: cryptoRandomSource, logger });
    [storeId, otherStoreId] = await Promise.all([insertStore(db), insertStore(db)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    await db?.close();
    await postgres?.stop();
  });

  async function serve(app: express.Express): Promise<string> {
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function tempFile(name: string, content: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'coinstile-receipts-'));
    tempDirs.push(dir);
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  test('a settled checkout gets a receipt that verifies offline and states what was paid', async () => {
    const checkoutId = await settleCheckout(db, storeId, { priceMinor: 4980n });
    const receipt = await issueReceipt(db, checkoutId, signer);
    const claims = verifyReceipt(receipt.jws, await signer.keys.publishedKeys(), { expectedStoreId: storeId, now: clock.now() });

    const checkout = await receiptsKysely(db).selectFrom('checkouts').selectAll().where('id', '=', checkoutId).executeTakeFirstOrThrow();
    const payment = await receiptsKysely(db).selectFrom('payments').selectAll().where('checkout_id', '=', checkoutId).executeTakeFirstOrThrow();
    expect(claims).toEqual({
      iss: ISSUER,
      sub: checkoutId,
      rcpt: receipt.id,
      storeId,
      orderId: checkout.order_id,
      priceMinor: '4980',
      currency: 'JPY',
      asset: 'BTC',
      amountReceivedBase: checkout.amount_paid_base,
      txids: [payment.txid],
      payments: [{ txid: payment.txid, outputIndex: 0, amountBase: payment.amount_base, confirmations: 6 }],
      confirmations: 6,
      settledAt: checkout.settled_at!.toISOString(),
      iat: Math.floor(receipt.issuedAt.getTime() / 1000),
    });
    expect(receipt.id).toMatch(/^rcpt_/);
    const header = JSON.parse(Buffer.from(receipt.jws.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    expect(header).toEqual({ alg: 'EdDSA', typ: 'coinstile-receipt+jws', kid: receipt.kid });
  });

  test('issuing again, even concurrently, returns the one stored receipt', async () => {
    const checkoutId = await settleCheckout(db, storeId);
    const first = await issueReceipt(db, checkoutId, signer);
    clock.advance(1000);
    const again = await Promise.all([1, 2, 3, 4].map(() => issueReceipt(db, checkoutId, signer)));
    for (const r of again) expect(r).toEqual(first);
    const racing = await settleCheckout(db, storeId);
    const raced = await Promise.all([1, 2, 3, 4].map(() => issueReceipt(db, racing, signer)));
    expect(new Set(raced.map((r) => r.jws)).size).toBe(1);
    const rows = await receiptsKysely(db).selectFrom('receipts').select('id').where('checkout_id', 'in', [checkoutId, racing]).execute();
    expect(rows).toHaveLength(2);
  });

  test('no receipt for a checkout that does not exist or is not settled', async () => {
    await expect(issueReceipt(db, newId('co'), signer)).rejects.toMatchObject({ name: 'ReceiptRefusedError', reason: 'unknown_checkout' });
    const checkoutId = await settleCheckout(db, storeId);
    await receiptsKysely(db).updateTable('checkouts').set({ status: 'invalid', invalid_reason: 'payment_orphaned' }).where('id', '=', checkoutId).execute();
    const refused = await issueReceipt(db, checkoutId, signer).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReceiptRefusedError);
    expect((refused as ReceiptRefusedError).reason).toBe('checkout_not_settled');
  });

  test('a batch: each checkout gets its receipt or its own refusal, already issued ones come back unchanged', async () => {
    const [issuedBefore, fresh1, fresh2] = await Promise.all([1, 2, 3].map(() => settleCheckout(db, storeId)));
    const earlier = await issueReceipt(db, issuedBefore!, signer);
    const unknown = newId('co');
    const results = await issueReceipts(db, [fresh1!, unknown, issuedBefore!, fresh2!, fresh1!], signer);
    expect(results.size).toBe(4);
    expect(results.get(issuedBefore!)).toEqual(earlier);
    expect(results.get(unknown)).toBeInstanceOf(ReceiptRefusedError);
    const jwks = await signer.keys.publishedKeys();
    for (const id of [fresh1!, fresh2!]) {
      const receipt = results.get(id);
      if (!receipt || receipt instanceof ReceiptRefusedError) throw new Error(`no receipt for ${id}`);
      expect(verifyReceipt(receipt.jws, jwks, { expectedStoreId: storeId, now: clock.now() }).sub).toBe(id);
      expect(await storedReceipt(db, id)).toEqual(receipt);
    }
  });

  test('issued inside a transaction that rolls back, the receipt is gone with it', async () => {
    const checkoutId = await settleCheckout(db, storeId);
    await expect(
      db.transaction(async (trx) => {
        await issueReceipt(trx, checkoutId, signer);
        throw new Error('release failed');
      }),
    ).rejects.toThrow('release failed');
    expect(await storedReceipt(db, checkoutId)).toBeUndefined();
  });

  test('released orders without a receipt are caught up', async () => {
    const ids = await Promise.all([1, 2, 3].map(() => settleCheckout(db, otherStoreId)));
    await new SettlementProcessor({ db, clock, random: cryptoRandomSource }).processMany(ids);
    expect(await issueMissingReceipts(db, signer)).toBeGreaterThanOrEqual(3);
    for (const id of ids) expect((await storedReceipt(db, id))?.storeId).toBe(otherStoreId);
    expect(await issueMissingReceipts(db, signer)).toBe(0);
  });

  test('tampered payload or signature, wrong store, and garbage are each refused with their own error', async () => {
    const receipt = await issueReceipt(db, await settleCheckout(db, storeId, { priceMinor: 1000n }), signer);
    const jwks = await signer.keys.publishedKeys();
    const [h, p, s] = receipt.jws.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const inflated = Buffer.from(JSON.stringify({ ...claims, priceMinor: '100000' })).toString('base64url');
    expect(() => verifyReceipt(`${h}.${inflated}.${s}`, jwks)).toThrow(TamperedReceiptError);
    const flipped = Buffer.from(s, 'base64url');
    flipped[10] = flipped[10]! ^ 0x40;
    expect(() => verifyReceipt(`${h}.${p}.${flipped.toString('base64url')}`, jwks)).toThrow(TamperedReceiptError);
    expect(() => verifyReceipt(receipt.jws, jwks, { expectedStoreId: otherStoreId })).toThrow(WrongStoreReceiptError);
    expect(() => verifyReceipt(`${h}.${p}`, jwks)).toThrow(MalformedReceiptError);
  });

  test('rotation: old receipts verify until the old key retires, then fail with a typed error; new receipts use the new key', async () => {
    const before = await issueReceipt(db, await settleCheckout(db, storeId), signer);
    const oldKid = before.kid;
    const newKid = await signer.keys.rotate({ retireOthersAt: new Date(clock.now().getTime() + 7 * DAY_MS) });
    expect(newKid).not.toBe(oldKid);

    const after = await issueReceipt(db, await settleCheckout(db, storeId), signer);
    expect(after.kid).toBe(newKid);
    const duringOverlap = await signer.keys.publishedKeys();
    expect(duringOverlap.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    expect(duringOverlap.keys[1]!.exp).toBe(Math.floor((clock.now().getTime() + 7 * DAY_MS) / 1000));
    expect(verifyReceipt(before.jws, duringOverlap, { now: clock.now() }).sub).toBe(before.checkoutId);
    expect(verifyReceipt(after.jws, duringOverlap, { now: clock.now() }).sub).toBe(after.checkoutId);

    clock.advance(7 * DAY_MS);
    const afterRetirement = await signer.keys.publishedKeys();
    expect(afterRetirement.keys.map((k) => k.kid)).toEqual([newKid]);
    // Against today's key set the old key is simply gone; a store holding the earlier set learns it retired.
    expect(() => verifyReceipt(before.jws, afterRetirement, { now: clock.now() })).toThrow(UnknownReceiptKeyError);
    expect(() => verifyReceipt(before.jws, duringOverlap, { now: clock.now() })).toThrow(RetiredReceiptKeyError);
    expect(verifyReceipt(after.jws, afterRetirement, { now: clock.now() }).sub).toBe(after.checkoutId);
    // The stored receipt stays what was issued: re-issuing does not re-sign it under the new key.
    expect((await issueReceipt(db, before.checkoutId as CheckoutId, signer)).jws).toBe(before.jws);
    expect((await signer.keys.list()).map((k) => k.kid)).toEqual([newKid, oldKid]);

    // A compromised key is retired at once: unpublished, nothing signs until the next rotation.
    await signer.keys.retire(newKid, clock.now());
    expect((await signer.keys.publishedKeys()).keys).toEqual([]);
    await expect(issueReceipt(db, await settleCheckout(db, storeId), signer)).rejects.toBeInstanceOf(NoActiveReceiptKeyError);
    const replacement = await signer.keys.rotate();
    expect((await signer.keys.publishedKeys()).keys.map((k) => k.kid)).toEqual([replacement]);
  });

  test('the first processes to open an empty key store create exactly one key', async () => {
    const fresh = await openDatabase({ url: await postgres.createDatabase(), poolSize: 5 });
    try {
      await migrateToLatest(fresh);
      const stores = await Promise.all([1, 2, 3, 4].map(() => ReceiptKeyStore.open({ db: fresh, clock, random: cryptoRandomSource })));
      expect(await stores[0]!.list()).toHaveLength(1);
      const kids = await Promise.all(stores.map(async (s) => (await s.activeKey()).kid));
      expect(new Set(kids).size).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  test('a key encrypted under another installation secret is refused with a typed error, not used', async () => {
    const fresh = await openDatabase({ url: await postgres.createDatabase(), poolSize: 2 });
    try {
      await migrateToLatest(fresh);
      const keys = await ReceiptKeyStore.open({ db: fresh, clock, random: cryptoRandomSource });
      const { kid } = await keys.activeKey();
      await sql`UPDATE instance_secrets SET secret_hex = ${'ab'.repeat(32)}`.execute(fresh.kysely);
      const reopened = await ReceiptKeyStore.open({ db: fresh, clock, random: cryptoRandomSource });
      await expect(reopened.activeKey()).rejects.toEqual(new UndecryptableReceiptKeyError(kid));
    } finally {
      await fresh.close();
    }
  });

  test('private keys are encrypted at rest and appear neither in the JWKS nor in logs', async () => {
    const key = await signer.keys.activeKey();
    const jwk = key.privateKey.export({ format: 'jwk' });
    const seed = Buffer.from(jwk.d!, 'base64url');
    const pkcs8 = key.privateKey.export({ format: 'der', type: 'pkcs8' });
    const row = await receiptsKysely(db).selectFrom('receipt_signing_keys').selectAll().where('kid', '=', key.kid).executeTakeFirstOrThrow();
    const stored = Buffer.from(row.private_key_ciphertext, 'base64');
    expect(stored.includes(seed)).toBe(false);
    expect(stored.includes(pkcs8)).toBe(false);
    const secretForms = [jwk.d!, seed.toString('hex'), seed.toString('base64'), pkcs8.toString('base64'), row.private_key_ciphertext];

    const jwksText = JSON.stringify(await signer.keys.publishedKeys());
    for (const k of (JSON.parse(jwksText) as JsonWebKeySet).keys) expect(Object.keys(k).sort()).toEqual(expect.not.arrayContaining(['d', 'p', 'q', 'k']));
    expect(logLines.some((l) => l.includes('receipt signing key created'))).toBe(true);
    for (const text of [jwksText, logLines.join('\n')]) for (const secret of secretForms) expect(text).not.toContain(secret);
  });

  test('JWKS served over HTTP by the receipts router is what a store verifies with; the receipt API serves the store its own receipts', async () => {
    const checkoutId = await settleCheckout(db, storeId);
    const receipt = await issueReceipt(db, checkoutId, signer);
    const asStore: RequestHandler = (req, res, next) => {
      const caller = req.get('x-test-store');
      const scopes = (req.get('x-test-scopes') ?? 'checkouts:read').split(',') as ApiKeyScope[];
      if (caller) setPrincipal(req, res, { kind: 'store', storeId: caller as StoreId, keyId: 'key_test', scopes: new Set(scopes) });
      next();
    };
    const app = express();
    app.use(createReceiptsRouter({ publishedKeys: () => signer.keys.publishedKeys() }));
    app.use(asStore, createReceiptsApiRouter({ receiptOf: (id) => storedReceipt(db, id) }));
    app.use(jsonErrorHandler(createLogger({ logLevel: 'silent' })));
    const base = await serve(app);

    const res = await fetch(`${base}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const jwks = (await res.json()) as JsonWebKeySet;
    expect(jwks.keys.map((k) => k.kid)).toContain(receipt.kid);
    expect(verifyReceipt(receipt.jws, jwks, { expectedStoreId: storeId, now: clock.now() }).sub).toBe(checkoutId);

    const own = await fetch(`${base}/v1/checkouts/${checkoutId}/receipt`, { headers: { 'x-test-store': storeId } });
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ id: receipt.id, checkoutId, storeId, kid: receipt.kid, jws: receipt.jws, issuedAt: receipt.issuedAt.toISOString() });
    const foreign = await fetch(`${base}/v1/checkouts/${checkoutId}/receipt`, { headers: { 'x-test-store': otherStoreId } });
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await fetch(`${base}/v1/checkouts/not-an-id/receipt`, { headers: { 'x-test-store': storeId } })).status).toBe(400);
    expect((await fetch(`${base}/v1/checkouts/${checkoutId}/receipt`, { headers: { 'x-test-store': storeId, 'x-test-scopes': 'checkouts:write' } })).status).toBe(403);
    expect((await fetch(`${base}/v1/checkouts/${checkoutId}/receipt`)).status).toBe(401);
  });

  test('coinstile verify-receipt: valid from a file against the JWKS URL or a JWKS file; tampered, wrong-store and unreadable input exit non-zero', async () => {
    const checkoutId = await settleCheckout(db, storeId);
    const receipt = await issueReceipt(db, checkoutId, signer);
    const base = await serve(express().use(createReceiptsRouter({ publishedKeys: () => signer.keys.publishedKeys() })));
    const run = async (file: string, opts: Parameters<typeof runVerifyReceipt>[1], stdin = '') => {
      const out: string[] = [];
      const err: string[] = [];
      const io: VerifyReceiptIo = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, readStdin: async () => stdin };
      const code = await runVerifyReceipt(file, opts, io);
      return { code, out: out.join(''), err: err.join('') };
    };
    const at = clock.now().toISOString();
    const receiptFile = tempFile('receipt.jws', `${receipt.jws}\n`);
    const jwksFile = tempFile('jwks.json', JSON.stringify(await signer.keys.publishedKeys()));

    const byUrl = await run(receiptFile, { jwks: `${base}/.well-known/jwks.json`, store: storeId, at });
    expect(byUrl.code).toBe(0);
    expect((JSON.parse(byUrl.out) as { valid: boolean; claims: { sub: string } }).claims.sub).toBe(checkoutId);
    const apiJson = tempFile('receipt.json', JSON.stringify({ id: receipt.id, jws: receipt.jws }));
    expect((await run(apiJson, { jwks: jwksFile, at })).code).toBe(0);
    expect((await run('-', { jwks: jwksFile, at }, receipt.jws)).code).toBe(0);

    const [h, p, s] = receipt.jws.split('.') as [string, string, string];
    const tampered = tempFile('tampered.jws', `${h}.${p.slice(0, -2)}AA.${s}`);
    const rejected = await run(tampered, { jwks: jwksFile, at });
    expect(rejected.code).toBe(1);
    expect(rejected.err).toMatch(/receipt rejected \((tampered|malformed)\)/);
    const wrongStore = await run(receiptFile, { jwks: jwksFile, store: otherStoreId, at });
    expect(wrongStore).toMatchObject({ code: 1, out: '' });
    expect(wrongStore.err).toContain('receipt rejected (wrong_store)');
    expect((await run(join(tmpdir(), 'no-such-receipt.jws'), { jwks: jwksFile })).code).toBe(2);
    expect((await run(receiptFile, { jwks: `${base}/nowhere` })).code).toBe(2);
    expect((await run(receiptFile, { jwks: jwksFile, at: 'yesterday' })).code).toBe(2);
  });
});
