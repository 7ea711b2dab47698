import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import {
  type CheckoutId,
  type Clock,
  ConflictError,
  DomainError,
  DomainRuleError,
  formatPin,
  generatePin,
  nextId,
  NotFoundError,
  parseAmount,
  parseFiatCurrency,
  parseId,
  parsePin,
  type RandomSource,
  type StoreId,
  ValidationError,
  type Voucher,
  voucherActivationPosting,
  type VoucherId,
  type VoucherPin,
  VOUCHER_STATUSES,
} from '@coinstile/core';
import { type AppliedTender, appendPostings, bookVoucherBreakage, changeVoucher, type Database, lockVoucher, OutboxRepository, voucherFromRow } from '@coinstile/platform';
import { sql } from 'kysely';
import type { PinAttemptLimiter } from '../rate-limit/pin-attempt-limiter';
import type { CheckoutService } from '../checkouts/checkout-service';
import type { PinHasher } from './pin-hasher';
import type { CreateVoucherBatchRequest } from './voucher-schemas';
import { type VoucherBatchView, voucherBatchView, type VoucherView, voucherView } from './voucher-views';

/** No voucher has this PIN (or it was mistyped). 404 `voucher_not_found`. */
export class VoucherNotFoundError extends DomainError {
  readonly httpStatus = 404;
  readonly code = 'voucher_not_found';
  constructor() {
    super('No voucher has this PIN');
  }
}

/** The batch's PIN CSV was downloaded already, or its download window passed. 422 `pins_not_available`. */
export class PinsNotAvailableError extends DomainRuleError {
  readonly code = 'pins_not_available';
  constructor(batchId: string) {
    super(`The PINs of batch ${batchId} were shown once and are no longer available`, { batchId });
  }
}

/** This POS transaction id already activated another voucher. 409 `pos_transaction_reused`. */
export class PosTransactionReusedError extends ConflictError {
  constructor(posTransactionId: string) {
    super('This POS transaction id already activated another voucher', { posTransactionId }, 'pos_transaction_reused');
  }
}

export interface VoucherServiceOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly hasher: PinHasher;
  readonly attempts: PinAttemptLimiter;
  readonly checkouts: CheckoutService;
}

/** A new batch with its PINs: the only time they are ever shown. */
export interface CreatedVoucherBatch {
  readonly batch: VoucherBatchView;
  readonly pins: readonly { readonly serial: number; readonly voucherId: string; readonly pin: string }[];
  /** The same PINs as CSV (serial, voucher id, PIN, face value, currency, expiry), for the printer. */
  readonly pinsCsv: string;
  /** `GET` it (operator token) once, within `pinsCsvExpiresAt`, to fetch `pinsCsv` again as a file. */
  readonly pinsCsvUrl: string;
  readonly pinsCsvExpiresAt: string;
}

/** How long the one-time CSV download stays possible after the batch is created. */
const PINS_DOWNLOAD_MS = 60 * 60_000;
/** PINs hashed at once: scrypt runs on libuv's thread pool (4 threads by default). */
const HASH_CONCURRENCY = 4;
const INSERT_CHUNK = 500;

/**
 * Prepaid vouchers: batches issued by the operator (PINs shown once), activation by a store's POS
 * (idempotent per POS transaction id, booked in the ledger), balance inquiry, and applying a PIN to a
 * checkout as a tender. Every PIN check runs under the brute-force guard (per client IP and per subject).
 */
export class VoucherService {
  readonly #outbox: OutboxRepository;

  constructor(private readonly options: VoucherServiceOptions) {
    this.#outbox = new OutboxRepository(options.db);
  }

  async createBatch(request: CreateVoucherBatchRequest, publicUrl: string): Promise<CreatedVoucherBatch> {
    const { clock, random, hasher, db } = this.options;
    const currency = parseFiatCurrency(request.currency);
    const faceValueMinor = parseAmount(request.faceValue, currency);
    if (faceValueMinor <= 0n) throw new ValidationError('faceValue must be positive', { field: 'faceValue' }, 'invalid_amount');
    const now = clock.now();
    const expiresAt = new Date(request.expiresAt);
    if (!(expiresAt.getTime() > now.getTime())) throw new ValidationError('expiresAt must be in the future', { field: 'expiresAt' });
    const batchId = nextId('vb', clock, random);
    const pins: { serial: number; voucherId: VoucherId; pin: VoucherPin }[] = [];
    const tags = new Set<string>();
    while (pins.length < request.count) {
      const pin = generatePin(random);
      if (tags.has(hasher.lookupTag(pin))) continue;
      tags.add(hasher.lookupTag(pin));
      pins.push({ serial: pins.length + 1, voucherId: nextId('vch', clock, random), pin });
    }
    const hashes: string[] = new Array<string>(pins.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(HASH_CONCURRENCY, pins.length) }, async () => {
        for (let i = next++; i < pins.length; i = next++) hashes[i] = await hasher.hash(pins[i]!.pin);
      }),
    );
    const faceValue = request.faceValue;
    const csv = [
      'serial,voucher_id,pin,face_value,currency,expires_at',
      ...pins.map((p) => `${p.serial},${p.voucherId},${formatPin(p.pin)},${faceValue},${currency},${expiresAt.toISOString()}`),
    ].join('\r\n');
    const token = randomBytes(24).toString('base64url');
    const downloadExpiresAt = new Date(now.getTime() + PINS_DOWNLOAD_MS);
    const row = await db.transaction(async (trx) => {
      const batch = await trx
        .insertInto('voucher_batches')
        .values({
          id: batchId,
          label: request.label ?? '',
          currency,
          face_value_minor: faceValueMinor.toString(),
          voucher_count: request.count,
          expires_at: expiresAt,
          created_at: now,
          pins_csv_ciphertext: encryptCsv(csv, token),
          pins_download_expires_at: downloadExpiresAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      for (let i = 0; i < pins.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('vouchers')
          .values(
            pins.slice(i, i + INSERT_CHUNK).map((p, j) => ({
              id: p.voucherId,
              batch_id: batchId,
              serial: p.serial,
              lookup_tag: hasher.lookupTag(p.pin),
              pin_hash: hashes[i + j]!,
              pin_last4: p.pin.slice(-4),
              status: 'issued' as const,
              currency,
              face_value_minor: faceValueMinor.toString(),
              balance_minor: '0',
              expires_at: expiresAt,
              updated_at: now,
            })),
          )
          .execute();
      }
      return batch;
    });
    return {
      batch: voucherBatchView(row, { issued: request.count }, now),
      pins: pins.map((p) => ({ serial: p.serial, voucherId: p.voucherId, pin: formatPin(p.pin) })),
      pinsCsv: csv,
      pinsCsvUrl: `${publicUrl}/v1/voucher-batches/${batchId}/pins.csv?token=${token}`,
      pinsCsvExpiresAt: downloadExpiresAt.toISOString(),
    };
  }

  /**
   * The batch's PIN CSV, once: decrypted with the create response's token and then erased, so neither a
   * second download nor the database can show the PINs again. A wrong token erases nothing.
   */
  async downloadPinsCsv(batchIdText: string, token: string): Promise<string> {
    const batchId = parseId('vb', batchIdText);
    const now = this.options.clock.now();
    return this.options.db.transaction(async (trx) => {
      const row = await trx.selectFrom('voucher_batches').selectAll().where('id', '=', batchId).forUpdate().executeTakeFirst();
      if (row === undefined) throw new NotFoundError('voucher_batch', batchId);
      if (row.pins_csv_ciphertext === null || row.pins_download_expires_at === null || now >= row.pins_download_expires_at) {
        throw new PinsNotAvailableError(batchId);
      }
      const csv = decryptCsv(row.pins_csv_ciphertext, token);
      if (csv === undefined) throw new NotFoundError('voucher_batch_download', batchId);
      await trx.updateTable('voucher_batches').set({ pins_csv_ciphertext: null }).where('id', '=', batchId).execute();
      return csv;
    });
  }

  async listBatches(limit: number, cursor: string | undefined): Promise<{ data: VoucherBatchView[]; nextCursor: string | null }> {
    let query = this.options.db.kysely.selectFrom('voucher_batches').selectAll();
    if (cursor !== undefined) query = query.where('id', '<', parseId('vb', cursor));
    const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const counts = await this.#statusCounts(page.map((r) => r.id));
    const now = this.options.clock.now();
    return {
      data: page.map((r) => voucherBatchView(r, counts.get(r.id) ?? {}, now)),
      nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
    };
  }

  async getBatch(idText: string): Promise<VoucherBatchView> {
    const id = parseId('vb', idText);
    const row = await this.options.db.kysely.selectFrom('voucher_batches').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('voucher_batch', id);
    return voucherBatchView(row, (await this.#statusCounts([id])).get(id) ?? {}, this.options.clock.now());
  }

  /**
   * Voids every voucher of the batch not voided yet (lost or stolen stock), writing off the balances still
   * owed; held tenders stay held (a tender given back later is written off too).
   */
  async voidBatch(idText: string): Promise<VoucherBatchView> {
    const id = parseId('vb', idText);
    const now = this.options.clock.now();
    await this.options.db.transaction(async (trx) => {
      const batch = await trx.selectFrom('voucher_batches').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
      if (batch === undefined) throw new NotFoundError('voucher_batch', id);
      await trx.updateTable('voucher_batches').set({ voided_at: now }).where('id', '=', id).where('voided_at', 'is', null).execute();
      // Balances still owed to holders are written off; expired ones were at expiry.
      const owed = await trx.selectFrom('vouchers').selectAll().where('batch_id', '=', id).where('status', '=', 'activated').where('balance_minor', '>', '0').forUpdate().execute();
      await trx.updateTable('vouchers').set({ status: 'voided', updated_at: now }).where('batch_id', '=', id).where('status', '!=', 'voided').execute();
      for (const row of owed) {
        const voucher = voucherFromRow(row);
        await bookVoucherBreakage(trx, voucher, voucher.balanceMinor, 'voided', now);
      }
    });
    return this.getBatch(id);
  }

  /**
   * A store's POS sold the card: activates it once per (store, POS transaction id). A replay of the same
   * transaction returns the voucher as it is now; the transaction id on another voucher is a 409. Books
   * the activation (the store owes the cash, the mall owes the holder) and announces `voucher.activated`.
   */
  async activate(storeId: StoreId, pinText: string, posTransactionId: string, ip: string): Promise<{ voucher: VoucherView; replayed: boolean }> {
    const { voucher: found, pinLast4 } = await this.#findByPin(pinText, ip, `pos:${storeId}`);
    const { clock, random, db } = this.options;
    const now = clock.now();
    return db.transaction(async (trx) => {
      const claimed = await trx
        .insertInto('voucher_pos_activations')
        .values({ store_id: storeId, pos_transaction_id: posTransactionId, voucher_id: found.id, activated_at: now })
        .onConflict((oc) => oc.columns(['store_id', 'pos_transaction_id']).doNothing())
        .returning('voucher_id')
        .executeTakeFirst();
      if (claimed === undefined) {
        const first = await trx
          .selectFrom('voucher_pos_activations')
          .select('voucher_id')
          .where('store_id', '=', storeId)
          .where('pos_transaction_id', '=', posTransactionId)
          .executeTakeFirstOrThrow();
        if (first.voucher_id !== found.id) throw new PosTransactionReusedError(posTransactionId);
        const current = await lockVoucher(trx, found.id);
        return { voucher: voucherView(current ?? found, pinLast4, now), replayed: true };
      }
      const locked = await lockVoucher(trx, found.id);
      if (locked === undefined) throw new VoucherNotFoundError();
      const activated = await changeVoucher(trx, locked, { type: 'activate', storeId, posTransactionId, at: now });
      await appendPostings(trx, [
        voucherActivationPosting({
          meta: { postingId: nextId('lp', clock, random), dedupeKey: `voucher_activation:${activated.id}`, occurredAt: now, storeId },
          storeId,
          currency: activated.currency,
          faceValueMinor: activated.faceValueMinor,
        }),
      ]);
      await this.#outbox.append(trx, [
        {
          eventId: `voucher.activated:${activated.id}`,
          eventType: 'voucher.activated',
          aggregateType: 'voucher',
          aggregateId: activated.id,
          payload: {
            type: 'voucher.activated',
            storeId,
            voucherId: activated.id,
            pinLast4,
            posTransactionId,
            faceValueMinor: activated.faceValueMinor,
            currency: activated.currency,
            expiresAt: activated.expiresAt,
            activatedAt: now,
          },
        },
      ]);
      return { voucher: voucherView(activated, pinLast4, now), replayed: false };
    });
  }

  /** What a PIN is worth now (status, balance, expiry); guarded per client IP. */
  async balance(pinText: string, ip: string): Promise<VoucherView> {
    const { voucher, pinLast4 } = await this.#findByPin(pinText, ip, undefined);
    return voucherView(voucher, pinLast4, this.options.clock.now());
  }

  /**
   * Applies a PIN to checkout `checkoutIdText` (of `storeId` when the store calls, which the caller has
   * checked; any checkout from the hosted page, whose id is the shopper's capability): the voucher pays min(balance, still due), held
   * until the checkout settles. Guarded per client IP and per checkout.
   */
  async applyToCheckout(checkoutIdText: string, pinText: string, ip: string, storeId?: StoreId): Promise<AppliedTender> {
    const checkoutId: CheckoutId = parseId('co', checkoutIdText);
    // The checkout must exist for the caller before any PIN is tried against it.
    if (storeId === undefined) await this.options.checkouts.getForShopper(checkoutId);
    const { voucher } = await this.#findByPin(pinText, ip, `checkout:${checkoutId}`);
    return this.options.checkouts.tenders.apply({
      checkoutId,
      ...(storeId !== undefined ? { storeId } : {}),
      kind: 'voucher',
      sourceId: voucher.id,
      now: this.options.clock.now(),
    });
  }

  /**
   * The voucher with this PIN, under the attempt guard. A malformed PIN (a typo the check digit catches)
   * is a 400 that spends no attempt; an unknown PIN costs the same scrypt time as a wrong one.
   */
  async #findByPin(pinText: string, ip: string, subject: string | undefined): Promise<{ voucher: Voucher; pinLast4: string }> {
    const pin = parsePin(pinText);
    const { hasher, attempts, db } = this.options;
    const found = await attempts.guard(ip, subject, async () => {
      const row = await db.kysely.selectFrom('vouchers').selectAll().where('lookup_tag', '=', hasher.lookupTag(pin)).executeTakeFirst();
      if (row === undefined) {
        await hasher.verifyNothing(pin);
        return { right: false, value: undefined };
      }
      const right = await hasher.verify(pin, row.pin_hash);
      return { right, value: right ? row : undefined };
    });
    if (found === undefined) throw new VoucherNotFoundError();
    return { voucher: voucherFromRow(found), pinLast4: found.pin_last4 };
  }

  async #statusCounts(batchIds: readonly string[]): Promise<Map<string, Record<string, number>>> {
    const result = new Map<string, Record<string, number>>();
    if (batchIds.length === 0) return result;
    const now = this.options.clock.now();
    // Expiry is lazy (no sweep rewrites rows): an issued or activated voucher past its date counts as expired.
    const rows = await this.options.db.kysely
      .selectFrom('vouchers')
      .select([
        'batch_id',
        sql<string>`CASE WHEN status IN ('issued', 'activated') AND expires_at <= ${now} THEN 'expired' ELSE status END`.as('effective_status'),
        (eb) => eb.fn.countAll<string>().as('n'),
      ])
      .where('batch_id', 'in', batchIds)
      .groupBy(['batch_id', 'effective_status'])
      .execute();
    for (const row of rows) {
      const counts = result.get(row.batch_id) ?? Object.fromEntries(VOUCHER_STATUSES.map((s) => [s, 0]));
      counts[row.effective_status] = Number(row.n);
      result.set(row.batch_id, counts);
    }
    return result;
  }
}

/** AES-256-GCM under SHA-256(token): `iv || tag || ciphertext`, base64. */
function encryptCsv(csv: string, token: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', createHash('sha256').update(token).digest(), iv);
  const body = Buffer.concat([cipher.update(csv, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** The CSV, or undefined when `token` is not the one it was encrypted under. */
function decryptCsv(stored: string, token: string): string | undefined {
  const raw = Buffer.from(stored, 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', createHash('sha256').update(token).digest(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

