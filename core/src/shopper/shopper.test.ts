import fc from 'fast-check';
import { makeId, type StoreId } from '../ids/id';
import { fxConversion, mallCryptoHoldings, shopperRefundsPayable, storeEscrow, storePayable } from '../ledger/accounts';
import { balances, trialBalance } from '../ledger/balances';
import { settlementPosting } from '../ledger/posting-builders';
import { tenderedSettlementPosting } from '../tenders/tender-postings';
import { InvalidPostingError, type Posting, type PostingMeta } from '../ledger/posting';
import { parseFiatCurrency } from '../money/fiat-currency';
import {
  allowsMovement,
  balanceHoldPosting,
  balanceHoldReleasePosting,
  checkCreditLevel,
  checkCredit,
  checkSpend,
  creditRefundToBalance,
  InsufficientShopperBalanceError,
  InvalidCreditLevelError,
  MAX_CREDIT_LEVEL_MINOR,
  overdraftMinor,
  overpaymentCreditPosting,
  REFUND_CREDIT_SOURCES,
  type ShopperAccount,
  type ShopperAccountId,
  ShopperAccountNotUsableError,
  shopperBalance,
  shopperBalanceFromLedger,
  shopperBalanceMessage,
  ShopperCurrencyMismatchError,
  shopperSpendsPending,
  spendableMinor,
  splitCredit,
  topUpPosting,
} from './index';

const JPY = parseFiatCurrency('JPY');
const USD = parseFiatCurrency('USD');
const STORE: StoreId = makeId('st', 1, new Uint8Array(10));
const ACCT: ShopperAccountId = makeId('acct', 1, new Uint8Array(10).fill(7));
let n = 0;
const meta = (): PostingMeta => ({ postingId: makeId('lp', 1, new Uint8Array(10).fill(++n % 256)), dedupeKey: `test:${n}`, occurredAt: new Date(0) });
const account = (over: Partial<ShopperAccount> = {}): ShopperAccount => ({ id: ACCT, currency: JPY, creditLevelMinor: 1000n, status: 'active', ...over });

const balanceOf = (postings: Posting[]): bigint => shopperBalanceFromLedger(balances(postings).get(shopperBalance(ACCT))?.get(JPY) ?? 0n);
const expectBalancedPerCurrency = (postings: Posting[]): void => {
  for (const total of trialBalance(balances(postings)).values()) expect(total).toBe(0n);
};

describe('account states', () => {
  test.each([
    ['active', 'credit', true],
    ['active', 'spend', true],
    ['frozen', 'credit', true],
    ['frozen', 'spend', false],
    ['closed', 'credit', false],
    ['closed', 'spend', false],
  ] as const)('%s allows %s: %s', (status, movement, allowed) => {
    expect(allowsMovement(status, movement)).toBe(allowed);
  });

  test('a frozen account spends nothing, a closed one is credited nothing', () => {
    expect(() => checkSpend(account({ status: 'frozen' }), 5000n, 1n, JPY)).toThrow(ShopperAccountNotUsableError);
    expect(() => checkCredit(account({ status: 'closed' }), 0n, 1n, JPY)).toThrow(ShopperAccountNotUsableError);
    expect(checkCredit(account({ status: 'frozen' }), -300n, 500n, JPY)).toBe(200n);
  });
});

describe('credit level', () => {
  test('bounds', () => {
    expect(checkCreditLevel(0n)).toBe(0n);
    expect(checkCreditLevel(MAX_CREDIT_LEVEL_MINOR)).toBe(MAX_CREDIT_LEVEL_MINOR);
    expect(() => checkCreditLevel(-1n)).toThrow(InvalidCreditLevelError);
    expect(() => checkCreditLevel(MAX_CREDIT_LEVEL_MINOR + 1n)).toThrow(InvalidCreditLevelError);
  });

  test('the balance may reach −creditLevel exactly, never one unit below', () => {
    expect(checkSpend(account(), 500n, 1500n, JPY)).toBe(-1000n);
    const refused = (() => {
      try {
        checkSpend(account(), 500n, 1501n, JPY);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(InsufficientShopperBalanceError);
    expect((refused as InsufficientShopperBalanceError).httpStatus).toBe(422);
    expect((refused as InsufficientShopperBalanceError).spendableMinor).toBe(1500n);
  });

  test('a lowered credit level below the overdraft in use leaves nothing spendable', () => {
    expect(spendableMinor(-800n, 500n)).toBe(0n);
    expect(() => checkSpend(account({ creditLevelMinor: 500n }), -800n, 1n, JPY)).toThrow(InsufficientShopperBalanceError);
    expect(overdraftMinor(-800n)).toBe(800n);
    expect(overdraftMinor(20n)).toBe(0n);
  });

  test('another currency is refused', () => {
    expect(() => checkSpend(account(), 5000n, 1n, USD)).toThrow(ShopperCurrencyMismatchError);
    expect(() => checkCredit(account(), 0n, 1n, USD)).toThrow(ShopperCurrencyMismatchError);
  });

  test('property: any sequence of checked spends and credits keeps the balance ≥ −creditLevel', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10_000n }),
        fc.array(fc.record({ spend: fc.boolean(), amount: fc.bigInt({ min: 1n, max: 5_000n }) }), { maxLength: 60 }),
        (creditLevelMinor, moves) => {
          const acct = account({ creditLevelMinor });
          let balance = 0n;
          for (const move of moves) {
            if (move.spend) {
              const allowed = move.amount <= balance + creditLevelMinor;
              if (allowed) balance = checkSpend(acct, balance, move.amount, JPY);
              else expect(() => checkSpend(acct, balance, move.amount, JPY)).toThrow(InsufficientShopperBalanceError);
            } else balance = checkCredit(acct, balance, move.amount, JPY);
            expect(balance).toBeGreaterThanOrEqual(-creditLevelMinor);
          }
        },
      ),
    );
  });
});

describe('top-up repayment order', () => {
  test('the overdraft is repaid first, the rest adds to the balance', () => {
    expect(splitCredit(-700n, 1000n)).toEqual({ repaysOverdraftMinor: 700n, addsToBalanceMinor: 300n });
    expect(splitCredit(-700n, 500n)).toEqual({ repaysOverdraftMinor: 500n, addsToBalanceMinor: 0n });
    expect(splitCredit(200n, 500n)).toEqual({ repaysOverdraftMinor: 0n, addsToBalanceMinor: 500n });
  });

  test('property: parts are non-negative, sum to the credit, and repay no more than was owed', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), (before, credit) => {
        const split = splitCredit(before, credit);
        expect(split.repaysOverdraftMinor + split.addsToBalanceMinor).toBe(credit);
        expect(split.repaysOverdraftMinor).toBeGreaterThanOrEqual(0n);
        expect(split.addsToBalanceMinor).toBeGreaterThanOrEqual(0n);
        expect(split.repaysOverdraftMinor).toBeLessThanOrEqual(overdraftMinor(before));
        // Something is added to the balance only once the overdraft is gone.
        if (split.addsToBalanceMinor > 0n) expect(before + split.repaysOverdraftMinor).toBeGreaterThanOrEqual(0n);
      }),
    );
  });
});

describe('postings', () => {
  const settlement = (priceMinor: bigint, received: bigint) =>
    settlementPosting({ meta: meta(), storeId: STORE, asset: 'LTC', amountReceivedBase: received, currency: JPY, priceMinor, feeMinor: 0n, spreadMinor: 0n, escrow: false });

  test('an over-payment leaves the FX position for the shopper balance', () => {
    const postings = [settlement(4980n, 50_000_000n), overpaymentCreditPosting({ meta: meta(), accountId: ACCT, currency: JPY, amountMinor: 120n })];
    expect(balanceOf(postings)).toBe(120n);
    expect(balances(postings).get(fxConversion())?.get(JPY)).toBe(4980n + 120n);
    expectBalancedPerCurrency(postings);
  });

  test('a top-up brings crypto into holdings and credits the balance; no store is owed', () => {
    const p = topUpPosting({ meta: meta(), accountId: ACCT, asset: 'LTC', amountReceivedBase: 12_345n, currency: JPY, creditedMinor: 1500n });
    const b = balances([p]);
    expect(b.get(mallCryptoHoldings('LTC'))?.get('LTC')).toBe(12_345n);
    expect(balanceOf([p])).toBe(1500n);
    expect([...b.keys()].some((a) => a.startsWith('store:'))).toBe(false);
    expectBalancedPerCurrency([p]);
  });

  test('balance spent: hold, then the tendered settlement passes it to the store payable', () => {
    // Price 4980: 1980 from the balance (1000 of it overdraft), 3000 worth of crypto.
    const postings = [
      topUpPosting({ meta: meta(), accountId: ACCT, asset: 'LTC', amountReceivedBase: 1n, currency: JPY, creditedMinor: 1000n }),
      balanceHoldPosting({ meta: meta(), accountId: ACCT, currency: JPY, amountMinor: 1980n }),
      tenderedSettlementPosting({
        meta: meta(),
        storeId: STORE,
        asset: 'LTC',
        amountReceivedBase: 25_000_000n,
        currency: JPY,
        priceMinor: 4980n,
        feeMinor: 0n,
        spreadMinor: 0n,
        escrow: false,
        tenders: [{ kind: 'balance', sourceId: ACCT, amountMinor: 1980n }],
      }),
    ];
    const b = balances(postings);
    expect(balanceOf(postings)).toBe(-980n);
    expect(b.get(shopperSpendsPending())?.get(JPY)).toBe(0n);
    expect(b.get(storePayable(STORE))?.get(JPY)).toBe(-4980n);
    // The FX position holds the fiat value the crypto paid for: 3000 of the sale, 1000 of the top-up.
    expect(b.get(fxConversion())?.get(JPY)).toBe(4000n);
    expectBalancedPerCurrency(postings);
  });

  test('a released hold restores the balance exactly', () => {
    const movement = () => ({ meta: meta(), accountId: ACCT, currency: JPY, amountMinor: 700n });
    const postings = [balanceHoldPosting(movement()), balanceHoldReleasePosting(movement())];
    expect(balanceOf(postings)).toBe(0n);
    expect(balances(postings).get(shopperSpendsPending())?.get(JPY)).toBe(0n);
  });

  test('a refund to balance debits the store payable, its escrow, or the refunds payable an escrow refund booked', () => {
    const sourceAccount = { payable: storePayable(STORE), escrow: storeEscrow(STORE), refunds_payable: shopperRefundsPayable() } as const;
    for (const from of REFUND_CREDIT_SOURCES) {
      const refund = creditRefundToBalance(account(), -200n, { meta: meta(), storeId: STORE, currency: JPY, amountMinor: 500n, from, checkoutId: null });
      expect(refund.balanceAfterMinor).toBe(300n);
      expectBalancedPerCurrency([refund.posting]);
      const b = balances([refund.posting]);
      expect([...b.keys()].sort()).toEqual([sourceAccount[from], shopperBalance(ACCT)].sort());
      expect(b.get(sourceAccount[from])?.get(JPY)).toBe(500n);
      expect(refund.message.eventType).toBe('shopper.balance_credited');
      expect(refund.message.eventId).toBe(`shopper.balance_credited:${refund.posting.meta.dedupeKey}`);
    }
    expect(() => creditRefundToBalance(account({ status: 'closed' }), 0n, { meta: meta(), storeId: STORE, currency: JPY, amountMinor: 1n, from: 'payable', checkoutId: null })).toThrow(
      ShopperAccountNotUsableError,
    );
  });

  test.each([0n, -1n])('builders refuse amount %p', (amountMinor) => {
    const m = { meta: meta(), accountId: ACCT, currency: JPY, amountMinor };
    for (const build of [overpaymentCreditPosting, balanceHoldPosting, balanceHoldReleasePosting]) expect(() => build(m)).toThrow(InvalidPostingError);
    expect(() => topUpPosting({ ...m, asset: 'LTC', amountReceivedBase: 1n, creditedMinor: amountMinor })).toThrow(InvalidPostingError);
  });

  test('a spend announces a debit, the rest credits', () => {
    const base = { accountId: ACCT, amountMinor: 1n, currency: JPY, checkoutId: null, storeId: STORE, postingId: meta().postingId, occurredAt: new Date(0), dedupeKey: 'k' };
    expect(shopperBalanceMessage({ ...base, reason: 'checkout_spend' }).eventType).toBe('shopper.balance_debited');
    for (const reason of ['over_payment', 'top_up', 'refund', 'spend_returned'] as const) expect(shopperBalanceMessage({ ...base, reason }).eventType).toBe('shopper.balance_credited');
  });

  test('property: any mix of shopper postings balances per currency and the balance is the sum of its movements', () => {
    const move = fc.record({ kind: fc.constantFrom('over', 'topup', 'hold', 'release', 'refund'), amount: fc.bigInt({ min: 1n, max: 10n ** 15n }) });
    fc.assert(
      fc.property(fc.array(move, { maxLength: 30 }), (moves) => {
        let expected = 0n;
        const postings = moves.map(({ kind, amount }) => {
          const m = { meta: meta(), accountId: ACCT, currency: JPY, amountMinor: amount };
          switch (kind) {
            case 'over':
              expected += amount;
              return overpaymentCreditPosting(m);
            case 'topup':
              expected += amount;
              return topUpPosting({ ...m, asset: 'ETH', amountReceivedBase: amount * 7n, creditedMinor: amount });
            case 'hold':
              expected -= amount;
              return balanceHoldPosting(m);
            case 'release':
              expected += amount;
              return balanceHoldReleasePosting(m);
            case 'refund':
              expected += amount;
              return creditRefundToBalance(account({ creditLevelMinor: 0n }), 0n, { ...m, storeId: STORE, from: 'payable', checkoutId: null }).posting;
          }
          throw new Error(kind);
        });
        expectBalancedPerCurrency(postings);
        expect(balanceOf(postings)).toBe(expected);
      }),
    );
  });
});
