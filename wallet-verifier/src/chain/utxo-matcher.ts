import type { CheckoutId, CryptoAsset } from '@coinstile/core';
import type { bitcoinjs } from '../addresses/esm-libraries';
import type { WatchedSet } from '../watch/watched-set';
import { scriptKey } from './utxo-chain';

type Transaction = InstanceType<typeof bitcoinjs.Transaction>;

/** An output of a transaction paying a watched destination. */
export interface OutputMatch {
  readonly checkoutId: CheckoutId;
  readonly asset: CryptoAsset;
  readonly txid: string;
  readonly outputIndex: number;
  readonly amountBase: bigint;
  /** BIP-125: some input's nSequence is below 0xfffffffe. */
  readonly rbfSignalled: boolean;
  /** `<prev txid>:<vout>` of every input, to recognise a conflicting spend later. */
  readonly outpoints: readonly string[];
}

/** Inputs with nSequence below this signal replaceability (BIP-125). */
const RBF_SEQUENCE_LIMIT = 0xfffffffe;

export function signalsRbf(tx: Transaction): boolean {
  for (const input of tx.ins) if (input.sequence < RBF_SEQUENCE_LIMIT) return true;
  return false;
}

export function outpointsOf(tx: Transaction): string[] {
  return tx.ins.map((input) => `${Buffer.from(input.hash).reverse().toString('hex')}:${input.index}`);
}

/**
 * Outputs of `tx` paying a watched key. Only outputs whose script length is watched become keys, and the
 * txid (two SHA-256 over the transaction) is computed only for transactions that match.
 * `only` restricts matching to a subset of keys (re-matching for addresses that arrived late).
 */
export function matchTransaction(tx: Transaction, watched: WatchedSet, only?: ReadonlySet<string>): OutputMatch[] {
  let matches: OutputMatch[] | undefined;
  let txid: string | undefined;
  let rbf = false;
  let outpoints: string[] = [];
  const outs = tx.outs;
  for (let vout = 0; vout < outs.length; vout++) {
    const output = outs[vout]!;
    if (!watched.watchesLength(output.script.byteLength)) continue;
    const key = scriptKey(output.script);
    if (only !== undefined && !only.has(key)) continue;
    const slot = watched.slotOf(key);
    if (slot < 0) continue;
    if (matches === undefined) {
      matches = [];
      txid = tx.getId();
      rbf = signalsRbf(tx);
      outpoints = outpointsOf(tx);
    }
    const entry = watched.entryAt(slot);
    matches.push({ ...entry, txid: txid!, outputIndex: vout, amountBase: output.value, rbfSignalled: rbf, outpoints });
  }
  return matches ?? [];
}

/**
 * Every watched output of every transaction, in block order. Coinbase outputs are skipped: they cannot be
 * spent for 100 blocks, so they are no way to pay a checkout.
 */
export function matchTransactions(txs: readonly Transaction[], watched: WatchedSet, only?: ReadonlySet<string>): OutputMatch[] {
  const all: OutputMatch[] = [];
  for (const tx of txs) {
    if (tx.isCoinbase()) continue;
    const found = matchTransaction(tx, watched, only);
    for (const m of found) all.push(m);
  }
  return all;
}
