import { pendingTransactions } from './evm-chain-follower';

describe('pendingTransactions (a raw pending block)', () => {
  const tx = { hash: '0xAB', to: '0x000000000000000000000000000000000000dEaD', from: '0x01', nonce: '0x1f', value: '0x3039' };

  test('reads hash (lower-cased), to, from, nonce and value of each transaction', () => {
    expect(pendingTransactions({ number: null, transactions: [tx, { ...tx, hash: '0xcd', to: null }] })).toEqual([
      { hash: '0xab', to: tx.to, from: '0x01', nonce: 31, value: 12345n },
      { hash: '0xcd', to: null, from: '0x01', nonce: 31, value: 12345n },
    ]);
  });

  test('no pending block, hashes only, or malformed entries: nothing (or only the well-formed ones)', () => {
    expect(pendingTransactions(null)).toEqual([]);
    expect(pendingTransactions({ transactions: ['0xab'] })).toEqual([]);
    expect(pendingTransactions({ transactions: 'x' })).toEqual([]);
    expect(
      pendingTransactions({ transactions: [{ ...tx, value: '12' }, { ...tx, nonce: 3 }, { ...tx, to: 7 }, { ...tx, value: `0x${'f'.repeat(65)}` }, tx] }),
    ).toHaveLength(1);
  });
});
