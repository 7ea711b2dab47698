import type { CheckoutId } from '@coinstile/core';
import { WatchedSet } from '../watch/watched-set';
import { addressTopic, ERC20_TRANSFER_TOPIC, evmAddressKey, evmChainSpec } from './evm-chain';
import { EvmFollowerConfigError } from './evm-errors';
import { decodeTransferLog, matchNativeTransfers, matchTokenTransfers, type EvmLogLike } from './evm-matcher';

const ETH_ADDR = '0x52908400098527886E0F7030069857D2E4169EE7';
const USDC_ADDR = '0x8617E340B3D01FA5F11F306F4090FD50E238070D';
const TOKEN = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';
const FAR = new Date(Date.now() + 3_600_000);

function watched(): WatchedSet {
  const set = new WatchedSet();
  set.add(evmAddressKey(ETH_ADDR), 'co_eth' as CheckoutId, 'ETH', FAR);
  set.add(evmAddressKey(USDC_ADDR), 'co_usdc' as CheckoutId, 'USDC', FAR);
  return set;
}

function transferLog(to: string, amount: bigint, overrides: Partial<EvmLogLike> = {}): EvmLogLike {
  return {
    address: TOKEN,
    topics: [ERC20_TRANSFER_TOPIC, addressTopic('0x' + '11'.repeat(20)), addressTopic(evmAddressKey(to))],
    data: '0x' + amount.toString(16).padStart(64, '0'),
    transactionHash: '0x' + 'ab'.repeat(32),
    index: 7,
    removed: false,
    ...overrides,
  };
}

const spec = evmChainSpec(1, [{ asset: 'USDC', contract: TOKEN, variable: 'USDC_CONTRACT' }]);

describe('EVM matching', () => {
  it('matches a native transfer by its recipient, whatever the address case, as output 0', () => {
    const tx = { hash: '0x01', to: ETH_ADDR.toLowerCase(), from: '0x02', nonce: 3, value: 10n ** 18n };
    expect(matchNativeTransfers([tx], 'ETH', watched())).toEqual({
      matches: [{ checkoutId: 'co_eth', asset: 'ETH', txid: '0x01', outputIndex: 0, amountBase: 10n ** 18n }],
      foreign: [],
    });
  });

  it('ignores contract creations, zero values and unwatched recipients; reports ETH sent to a USDC checkout', () => {
    const txs = [
      { hash: '0x01', to: null, from: '0x02', nonce: 0, value: 5n },
      { hash: '0x02', to: ETH_ADDR, from: '0x02', nonce: 1, value: 0n },
      { hash: '0x03', to: '0x' + '33'.repeat(20), from: '0x02', nonce: 2, value: 5n },
      { hash: '0x04', to: USDC_ADDR, from: '0x02', nonce: 3, value: 5n },
    ];
    const result = matchNativeTransfers(txs, 'ETH', watched());
    expect(result.matches).toEqual([]);
    expect(result.foreign).toEqual([{ checkoutId: 'co_usdc', expectedAsset: 'USDC', paidAsset: 'ETH', txid: '0x04', amountBase: 5n }]);
  });

  it('matches a Transfer log of the configured token by log index', () => {
    const result = matchTokenTransfers([transferLog(USDC_ADDR, 1_500_000n)], spec.tokens, watched());
    expect(result.matches).toEqual([{ checkoutId: 'co_usdc', asset: 'USDC', txid: '0x' + 'ab'.repeat(32), outputIndex: 7, amountBase: 1_500_000n }]);
  });

  it('ignores other contracts, removed logs, ERC-721 transfers and malformed topics', () => {
    const logs = [
      transferLog(USDC_ADDR, 1n, { address: '0x' + '44'.repeat(20) }),
      transferLog(USDC_ADDR, 1n, { removed: true }),
      { ...transferLog(USDC_ADDR, 1n), topics: [...transferLog(USDC_ADDR, 1n).topics, addressTopic('0x' + '55'.repeat(20))], data: '0x' },
      { ...transferLog(USDC_ADDR, 1n), topics: [ERC20_TRANSFER_TOPIC, addressTopic('0x' + '11'.repeat(20)), '0x' + 'ff'.repeat(32)] },
    ];
    expect(matchTokenTransfers(logs, spec.tokens, watched())).toEqual({ matches: [], foreign: [] });
    expect(decodeTransferLog(logs[2]!)).toBeUndefined();
  });

  it('reports a token transfer to an ETH checkout as foreign, and honours the `only` subset', () => {
    const log = transferLog(ETH_ADDR, 9n);
    expect(matchTokenTransfers([log], spec.tokens, watched()).foreign).toHaveLength(1);
    expect(matchTokenTransfers([transferLog(USDC_ADDR, 9n)], spec.tokens, watched(), new Set(['0xdead'])).matches).toEqual([]);
  });

  it('refuses unusable configuration with typed errors', () => {
    expect(() => evmChainSpec(undefined, [])).toThrow(EvmFollowerConfigError);
    expect(() => evmChainSpec(1, [{ asset: 'USDC', contract: '0x1234', variable: 'USDC_CONTRACT' }])).toThrow(EvmFollowerConfigError);
    expect(() => evmChainSpec(1, [{ asset: 'ETH', contract: TOKEN, variable: 'X' }])).toThrow(EvmFollowerConfigError);
    expect(() =>
      evmChainSpec(1, [
        { asset: 'USDC', contract: TOKEN, variable: 'A' },
        { asset: 'USDC', contract: TOKEN.toLowerCase(), variable: 'B' },
      ]),
    ).toThrow(/twice/);
  });
});
