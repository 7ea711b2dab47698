import { startLitecoind, BitcoinRpcError, type LitecoinRegtest } from '@coinstile/testkit';

interface WalletTransaction {
  confirmations: number;
  blockhash?: string;
  'bip125-replaceable': 'yes' | 'no' | 'unknown';
}

describe('startLitecoind', () => {
  let node: LitecoinRegtest;

  beforeAll(async () => {
    const startedAt = Date.now();
    node = await startLitecoind();
    console.log(`litecoind started, wallet funded, 101 blocks mined in ${Date.now() - startedAt} ms`);
  });

  afterAll(async () => {
    await node?.stop();
  });

  test('runs regtest with a funded wallet and rltc addresses', async () => {
    const chain = await node.rpc<{ chain: string; blocks: number }>('getblockchaininfo');
    expect(chain.chain).toBe('regtest');
    expect(chain.blocks).toBeGreaterThanOrEqual(101);
    expect(await node.walletRpc<number>('getbalance')).toBeGreaterThanOrEqual(50);
    expect(await node.newAddress()).toMatch(/^rltc1/);
    expect(node.walletRpcUrl).toBe(`${node.rpcUrl}/wallet/funder`);
  });

  test('a mined block is the best block', async () => {
    const [hash] = await node.mine(1);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await node.rpc<string>('getbestblockhash')).toBe(hash);
  });

  test('a payment is seen in the mempool, confirmed, un-confirmed by invalidateblock, restored by reconsiderblock', async () => {
    const address = await node.newAddress();
    const txid = await node.sendToAddress(address, '1.25', { replaceable: true });
    expect(await node.rpc<string[]>('getrawmempool')).toContain(txid);
    const unconfirmed = await node.walletRpc<WalletTransaction>('gettransaction', [txid]);
    expect(unconfirmed.confirmations).toBe(0);
    expect(unconfirmed['bip125-replaceable']).toBe('yes');

    const [blockHash] = await node.mine(1);
    if (blockHash === undefined) throw new Error('no block mined');
    const confirmed = await node.walletRpc<WalletTransaction>('gettransaction', [txid]);
    expect(confirmed.confirmations).toBe(1);
    expect(confirmed.blockhash).toBe(blockHash);
    expect(await node.walletRpc<number>('getreceivedbyaddress', [address, 1])).toBe(1.25);

    await node.invalidateBlock(blockHash);
    expect((await node.walletRpc<WalletTransaction>('gettransaction', [txid])).confirmations).toBe(0);
    expect(await node.rpc<string[]>('getrawmempool')).toContain(txid);

    await node.reconsiderBlock(blockHash);
    expect(await node.rpc<string>('getbestblockhash')).toBe(blockHash);
    expect((await node.walletRpc<WalletTransaction>('gettransaction', [txid])).confirmations).toBe(1);
  });

  test('a payment sent without replaceable does not signal RBF', async () => {
    const txid = await node.sendToAddress(await node.newAddress(), '0.1');
    const tx = await node.walletRpc<WalletTransaction>('gettransaction', [txid]);
    expect(tx['bip125-replaceable']).toBe('no');
  });

  test('mining keeps working past the height where MWEB would activate', async () => {
    const before = await node.rpc<number>('getblockcount');
    const hashes = await node.mine(Math.max(0, 450 - before));
    expect(await node.rpc<number>('getblockcount')).toBe(before + hashes.length);
    expect(await node.rpc<number>('getblockcount')).toBeGreaterThanOrEqual(450);
  });

  test('RPC errors carry the node error code', async () => {
    await expect(node.rpc('getblock', ['00'.repeat(32)])).rejects.toMatchObject({
      name: 'BitcoinRpcError',
      code: -5,
    });
    await expect(node.rpc('getblock', ['00'.repeat(32)])).rejects.toBeInstanceOf(BitcoinRpcError);
  });

  test('restart keeps the chain and the wallet', async () => {
    const tip = await node.rpc<string>('getbestblockhash');
    const balance = await node.walletRpc<number>('getbalance');
    const startedAt = Date.now();
    await node.restart();
    console.log(`litecoind restarted in ${Date.now() - startedAt} ms`);
    expect(await node.rpc<string>('getbestblockhash')).toBe(tip);
    expect(await node.walletRpc<number>('getbalance')).toBe(balance);
    await node.mine(1);
  });
});
