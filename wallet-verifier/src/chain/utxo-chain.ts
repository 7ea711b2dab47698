import type { CryptoAsset } from '@coinstile/core';
import { parseAddress, type ChainNetwork, type UtxoChain } from '../addresses';

/** One Bitcoin Core family chain the verifier follows. */
export interface UtxoChainSpec {
  readonly chain: UtxoChain;
  readonly network: ChainNetwork;
  /** The asset paid on it. */
  readonly asset: Extract<CryptoAsset, 'BTC' | 'LTC'>;
}

export function utxoChainSpec(chain: UtxoChain, network: ChainNetwork): UtxoChainSpec {
  switch (chain) {
    case 'bitcoin':
      return { chain, network, asset: 'BTC' };
    case 'litecoin':
      return { chain, network, asset: 'LTC' };
  }
}

/**
 * The watched-set key of an output script: its bytes as a latin1 string (22 one-byte characters for
 * P2WPKH). `fromCharCode` over the bytes is the cheapest exact byte→latin1 mapping (no Buffer per output).
 */
export function scriptKey(script: Uint8Array): string {
  return String.fromCharCode.apply(null, script as unknown as number[]);
}

/** The watched-set key of a payment address on `spec`'s chain and network (its output script). */
export function addressKey(spec: UtxoChainSpec, address: string): string {
  const script = parseAddress(spec.chain, spec.network, address).outputScript;
  if (script === undefined) throw new RangeError(`${spec.chain} address without an output script`);
  return scriptKey(script);
}
