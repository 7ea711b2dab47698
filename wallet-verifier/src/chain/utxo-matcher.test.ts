import { randomBytes } from 'node:crypto';
import { makeId } from '@coinstile/core';
import { bitcoinjs } from '../addresses/esm-libraries';
import { WatchedSet } from '../watch/watched-set';
import { addressKey, scriptKey, utxoChainSpec } from './utxo-chain';
import { matchTransaction, matchTransactions, signalsRbf } from './utxo-matcher';

const later = new Date(Date.now() + 60_000);
const checkoutA = makeId('co', 1_700_000_000_000, new Uint8Array(10).fill(1));
const checkoutB = makeId('co', 1_700_000_000_001, new Uint8Array(10).fill(2));
const p2wpkh = (): Uint8Array => Buffer.concat([Buffer.from([0, 20]), randomBytes(20)]);

function tx(outputs: { script: Uint8Array; value: bigint }[], sequence = 0xffffffff): InstanceType<typeof bitcoinjs.Transaction> {
  const t = new bitcoinjs.Transaction();
  t.addInput(Buffer.alloc(32, 7), 3, sequence);
  for (const o of outputs) t.addOutput(o.script, o.value);
  return bitcoinjs.Transaction.fromHex(t.toHex());
}

test('matches watched outputs with their index, amount, txid, RBF flag and spent outpoints', () => {
  const watched = new WatchedSet();
  const a = p2wpkh();
  const b = p2wpkh();
  watched.add(scriptKey(a), checkoutA, 'LTC', later);
  watched.add(scriptKey(b), checkoutB, 'LTC', later);
  const t = tx([{ script: p2wpkh(), value: 5n }, { script: a, value: 1_000n }, { script: b, value: 2_000n }, { script: a, value: 3n }], 0xfffffffd);
  expect(matchTransaction(t, watched)).toEqual([
    { checkoutId: checkoutA, asset: 'LTC', txid: t.getId(), outputIndex: 1, amountBase: 1_000n, rbfSignalled: true, outpoints: [`${'07'.repeat(32)}:3`] },
    { checkoutId: checkoutB, asset: 'LTC', txid: t.getId(), outputIndex: 2, amountBase: 2_000n, rbfSignalled: true, outpoints: [`${'07'.repeat(32)}:3`] },
    { checkoutId: checkoutA, asset: 'LTC', txid: t.getId(), outputIndex: 3, amountBase: 3n, rbfSignalled: true, outpoints: [`${'07'.repeat(32)}:3`] },
  ]);
  // Restricted to some keys (late addresses), the others are ignored.
  expect(matchTransaction(t, watched, new Set([scriptKey(b)])).map((m) => m.outputIndex)).toEqual([2]);
});

test('BIP-125: any input sequence below 0xfffffffe signals replaceability', () => {
  expect(signalsRbf(tx([], 0xffffffff))).toBe(false);
  expect(signalsRbf(tx([], 0xfffffffe))).toBe(false);
  expect(signalsRbf(tx([], 0xfffffffd))).toBe(true);
  expect(signalsRbf(tx([], 0))).toBe(true);
});

test('coinbase outputs are never payments', () => {
  const watched = new WatchedSet();
  const a = p2wpkh();
  watched.add(scriptKey(a), checkoutA, 'BTC', later);
  const coinbase = new bitcoinjs.Transaction();
  coinbase.addInput(Buffer.alloc(32), 0xffffffff, 0xffffffff, Buffer.from('0101', 'hex'));
  coinbase.addOutput(a, 50n);
  expect(matchTransactions([coinbase, tx([{ script: a, value: 7n }])], watched).map((m) => m.amountBase)).toEqual([7n]);
});

test('an address key is its output script', () => {
  const spec = utxoChainSpec('litecoin', 'regtest');
  const address = bitcoinjs.address.toBech32(Buffer.alloc(20, 9), 0, 'rltc');
  expect(addressKey(spec, address)).toBe(scriptKey(Buffer.concat([Buffer.from([0, 20]), Buffer.alloc(20, 9)])));
  expect(() => addressKey(spec, 'ltc1qnotonthisnetwork')).toThrow();
});
